"""Small tables with real-looking identifiers, written to disk for registration tests."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from stdnum.cn import ric


def resident_id(rng: random.Random) -> str:
    body = f"110105{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def customer_table(rows: int = 200, seed: int = 7) -> pa.Table:
    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周"
    given = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀英华"
    return pa.table(
        {
            "customer_id": [f"C{i:06d}" for i in range(rows)],
            "name": [
                rng.choice(surnames) + rng.choice(given) + rng.choice(given) for _ in range(rows)
            ],
            "mobile": [
                f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" for _ in range(rows)
            ],
            "id_number": [resident_id(rng) for _ in range(rows)],
            "segment": [rng.choice(["gold", "silver", "bronze"]) for _ in range(rows)],
            "spend_cny": [round(rng.uniform(10, 5000), 2) for _ in range(rows)],
        }
    )


def write_parquet(path: Path, rows: int = 200) -> Path:
    pq.write_table(customer_table(rows), path)
    return path


def write_csv(path: Path, rows: int = 200, encoding: str = "utf-8") -> Path:
    table = customer_table(rows)
    lines = [",".join(table.column_names)]
    for row in table.to_pylist():
        lines.append(",".join(str(row[c]) for c in table.column_names))
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path
