"""Mean spend by customer segment: an aggregate the contract's checks let through."""

import os

import pandas as pd

customers = pd.read_parquet("/inputs/customers.parquet")
table = (
    customers.groupby("segment")
    .agg(customers=("customer_id", "count"), mean_spend_cny=("spend_cny", "mean"))
    .reset_index()
)
# The contract rounds counts to multiples of 5 and money to 2 decimals.
table["customers"] = table["customers"] // 5 * 5
table["mean_spend_cny"] = table["mean_spend_cny"].round(2)
table.to_csv("/outputs/spend_by_segment.csv", index=False)
print(f"{os.environ['SEALROOM_MODE']} run: {len(customers)} rows in, {len(table)} groups out")
