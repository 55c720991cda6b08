"""Write the corpus files that cannot be typed by hand (Excel, Parquet, UTF-16, random bytes).

Run from the repository root: ``python tests/corpus/make_binary_files.py``. The files are
committed; this script documents how they were made.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

HERE = Path(__file__).parent


def excel() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Diary"
    sheet.append(["Date", "Pain", "Fatigue", "Dose (mg)", "Notes"])
    sheet.append([dt.date(2025, 1, 1), 6, 7, 0, "typed as a date cell"])
    sheet.append([dt.datetime(2025, 1, 2, 0, 0), 7.5, 6, 0, None])
    sheet.append([])  # an empty spreadsheet row
    sheet.append(["2025-01-03", "5", 6, 1.5, "date typed as text"])
    sheet.append([dt.datetime(2025, 1, 4, 8, 30), 4, None, 1.5, "with a time"])
    info = book.create_sheet("Info")
    info.append(["patient", "P-XL"])
    second = book.create_sheet("Later")
    second.append(["date", "pain", "dose_mg"])
    second.append([dt.date(2025, 2, 1), 3, 0])
    second.append([dt.date(2025, 2, 2), 2, 4.5])
    book.save(HERE / "valid" / "excel.xlsx")


def parquet() -> None:
    frame = pd.DataFrame(
        {
            "patient_id": ["P9", "P9", "P9", "P9"],
            "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-05"]),
            "pain": [6.0, np.nan, 5.0, 4.0],
            "dose_mg": [0.0, 0.0, 1.5, 1.5],
            "notes": ["a", None, "b", None],
        }
    )
    frame.to_parquet(HERE / "valid" / "parquet.parquet", index=False)


def utf16() -> None:
    text = "date\tpain\tdose_mg\tnotes\r\n2025-01-01\t6\t0\tGrüße\r\n2025-01-02\t5\t1.5\t\r\n"
    (HERE / "valid" / "utf16_tab.txt").write_bytes(text.encode("utf-16"))


def junk() -> None:
    rng = np.random.default_rng(20250101)
    data = rng.integers(1, 256, size=2000, dtype=np.uint8).tobytes()  # no NUL bytes
    (HERE / "malformed" / "random_bytes.csv").write_bytes(data)
    (HERE / "malformed" / "corrupt.xlsx").write_bytes(b"PK\x03\x04" + data[:200])


if __name__ == "__main__":
    excel()
    parquet()
    utf16()
    junk()
