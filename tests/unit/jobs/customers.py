"""Synthetic customers shaped like the example contract's dataset, for the sample tests."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

ROWS = 600
CITIES = ["Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Lhasa"]
SEGMENTS = ["gold", "silver", "bronze"]


def customers(rows: int = ROWS) -> pa.Table:
    """Synthetic customers shaped like the example contract's dataset.

    Lhasa has a single customer: a sample of random rows would usually miss it.
    """
    city = [CITIES[i % 4] for i in range(rows)]
    city[rows // 2] = "Lhasa"
    return pa.table(
        {
            "customer_id": [f"C{i:06d}" for i in range(rows)],
            "name": [f"Name{i:04d} 张" for i in range(rows)],
            "mobile": [f"+86138{i:08d}" for i in range(rows)],
            "id_number": [None if i % 10 == 0 else f"110105198001{i:06d}" for i in range(rows)],
            "email": [f"user{i}@example.cn" for i in range(rows)],
            "city": city,
            "birth_date": [dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28) for i in range(rows)],
            "segment": pa.array([SEGMENTS[i % 3] for i in range(rows)]).dictionary_encode(),
            "spend_cny": [None if i % 3 == 0 else round(i * 1.5, 2) for i in range(rows)],
        }
    )
