# 5 mar 2026 · 5 mar 2026, 14:30 · 14:30 · 5 mar, 14:30
DATE_FORMAT = "j b Y"
DATETIME_FORMAT = "j b Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATETIME_FORMAT = "j b, H:i"
MONTH_DAY_FORMAT = "j b"  # 5 mar (the charts of the dashboard)
