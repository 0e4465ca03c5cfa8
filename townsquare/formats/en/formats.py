# 5 Mar 2026 · 5 Mar 2026, 14:30 · 14:30 · 5 Mar, 14:30 (the site's English shapes since its start)
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATETIME_FORMAT = "j M, H:i"
MONTH_DAY_FORMAT = "j M"  # 5 Mar (the charts of the dashboard)
