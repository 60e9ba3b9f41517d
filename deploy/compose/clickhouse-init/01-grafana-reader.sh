#!/bin/bash
# Grafana's ClickHouse user: reads the aiscout database, cannot write. readonly = 2 lets the plugin's
# driver set max_execution_time per query (readonly = 1 would refuse it).
set -euo pipefail
clickhouse client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" --multiquery <<SQL
CREATE USER IF NOT EXISTS grafana IDENTIFIED WITH sha256_password BY '${GRAFANA_CLICKHOUSE_PASSWORD}' SETTINGS readonly = 2;
GRANT SELECT ON aiscout.* TO grafana;
SQL
