#!/usr/bin/env bash
# tests/integration/test_metrics.sh - Prometheus metrics: a resolver's
# counters reach its heartbeat, mxguard-report metrics prints them as
# Prometheus text that promtool accepts, with the exact counts of known
# queries; mxguard-exporter serves the same on loopback, a real Prometheus
# scrapes it and answers the series back through its HTTP API; log lines
# suppressed by log-rate are counted; a bad reload shows as
# mxguard_passthrough 1.
. "$(dirname "$0")/lib.sh"
mxg_setup redis-server
command -v promtool >/dev/null || skip_all "promtool is not installed (apt-get install prometheus)"
EXPORTER=$MXG_BUILDDIR/tools/mxguard-exporter
[ -x "$EXPORTER" ] || bail "mxguard-exporter is not built (libmicrohttpd-dev missing?)"
start_zone 10
start_redis

resolver_dir m 2
mxguard_conf "$D" log res-m <<EOF
volume-limit: 5
volume-action: refuse
geoip-country: $MXG_SRCDIR/tests/data/geoip/GeoIP2-Country-Test.mmdb
EOF
start_unbound "$D"
ok $? "unbound with mxguard starts"
PORT=$UB_PORT

status() {
	dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 -b "$1" "$2" MX +noall +comments 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
refused=0
for i in 1 2 3; do status 127.0.0.2 "company$i.test" >/dev/null; done
for i in 1 2 3 4 5 6 7 8; do
	[ "$(status 127.0.0.5 "company$i.test")" = REFUSED ] && refused=$((refused + 1))
done
[ $refused -eq 3 ]
ok $? "the volume rule refused the 6th to 8th lookup of 127.0.0.5 ($refused)"

rep() { "$REPORT" -p "$REDIS_PORT" --prefix t: "$@"; }
reported() {
	rep metrics 2>/dev/null >"$MXG_T/metrics.txt"
	grep -q "$1" "$MXG_T/metrics.txt"
}
wait_until 15 reported '^mxguard_lookups_total{instance="res-m"} 11$'
ok $? "mxguard-report metrics: 11 lookups (from the heartbeat)"
promtool check metrics <"$MXG_T/metrics.txt" >"$MXG_T/promtool.out" 2>&1
ok $? "promtool check metrics accepts it$(sed 's/^/ # /' "$MXG_T/promtool.out" | tr '\n' ' ')"
m() { grep -v '^#' "$MXG_T/metrics.txt" | grep -F "$1 " | awk '{print $NF}'; }
[ "$(m 'mxguard_refused_total{instance="res-m"}')" = 3 ] &&
	[ "$(m 'mxguard_verdicts_total{instance="res-m",rule="volume",action="refuse"}')" = 3 ] &&
	[ "$(m 'mxguard_tagged_total{instance="res-m"}')" = 0 ]
ok $? "refused 3, verdicts volume/refuse 3, tagged 0"
[ "$(m 'mxguard_verdicts_total{instance="res-m",rule="non-relay",action="log"}')" -ge 1 ]
ok $? "non-relay log verdicts counted"
mem=$(m 'mxguard_memory_bytes{instance="res-m"}'); max=$(m 'mxguard_memory_max_bytes{instance="res-m"}')
[ "$mem" -gt 0 ] && [ "$max" = $((64 * 1024 * 1024)) ] && [ "$mem" -le "$max" ]
ok $? "memory $mem of max-memory $max"
[ "$(m 'mxguard_config_generation{instance="res-m"}')" = 1 ] &&
	[ "$(m 'mxguard_passthrough{instance="res-m"}')" = 0 ] &&
	[ "$(m 'mxguard_config_load_time_seconds{instance="res-m"}')" -gt 1700000000 ]
ok $? "config generation 1, load time, not in pass-through"
[ "$(m 'mxguard_geoip_build_time_seconds{instance="res-m",database="country"}')" -gt 1000000000 ]
ok $? "GeoIP build time of the country database"
[ "$(m 'mxguard_blocks_active')" -ge 1 ]
ok $? "the volume block is counted in mxguard_blocks_active"
grep -q '^mxguard_queue_depth{instance="res-m"} [0-9]' "$MXG_T/metrics.txt" &&
	grep -q '^mxguard_events_dropped_total{instance="res-m"} 0$' "$MXG_T/metrics.txt"
ok $? "queue depth and dropped events"

# the exporter on loopback
EP=$(free_port)
"$EXPORTER" --listen "127.0.0.1:$EP" -p "$REDIS_PORT" --prefix t: 2>"$MXG_T/exporter.log" &
EXP_PID=$!; MXG_PIDS+=("$EXP_PID")
for ((i = 0; i < 50; i++)); do
	curl -sf "http://127.0.0.1:$EP/metrics" >"$MXG_T/exp.txt" 2>/dev/null && break
	sleep 0.1
done
grep -q '^mxguard_lookups_total{instance="res-m"} 11$' "$MXG_T/exp.txt" &&
	grep -q '^mxguard_exporter_redis_up 1$' "$MXG_T/exp.txt"
ok $? "mxguard-exporter serves the metrics"
promtool check metrics <"$MXG_T/exp.txt" >/dev/null 2>&1
ok $? "promtool accepts the exporter's text"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EP/nothing")" = 404 ]
ok $? "other paths are 404"
ss -Hltn "sport = :$EP" 2>/dev/null | awk '{print $4}' >"$MXG_T/listen.txt"
[ "$(cat "$MXG_T/listen.txt")" = "127.0.0.1:$EP" ]
ok $? "the exporter listens on 127.0.0.1:$EP only ($(tr '\n' ' ' <"$MXG_T/listen.txt"))"

# a real Prometheus scrapes it and answers the series back
PP=$(free_port)
mkdir -p "$MXG_T/prom"
cat >"$MXG_T/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mxguard
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:$EP']
EOF
prometheus --config.file="$MXG_T/prom/prometheus.yml" --storage.tsdb.path="$MXG_T/prom/data" \
	--web.listen-address="127.0.0.1:$PP" --log.level=warn >"$MXG_T/prom/log" 2>&1 &
PROM_PID=$!; MXG_PIDS+=("$PROM_PID")
q='mxguard_lookups_total{instance="res-m"}'
got=""
for ((i = 0; i < 300; i++)); do
	got=$(curl -s "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$q" 2>/dev/null |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null)
	[ "$got" = 11 ] && break
	sleep 0.1
done
[ "$got" = 11 ]
ok $? "Prometheus scraped the exporter: $q = ${got:-nothing}"
got=$(curl -s "http://127.0.0.1:$PP/api/v1/query" \
	--data-urlencode 'query=sum by (rule) (mxguard_verdicts_total{action="refuse"})' |
	python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(" ".join(sorted(x["metric"]["rule"]+"="+x["value"][1] for x in r if x["value"][1]!="0")))')
[ "$got" = "volume=3" ]
ok $? "PromQL: refusals by rule: $got"
stop_pid "$PROM_PID"

# log lines suppressed by log-rate are counted (none so far); 60 refused
# lookups of 127.0.0.5 at once are over its share
reported '^mxguard_log_lines_suppressed_total{instance="res-m"} 0$'
ok $? "no log line suppressed yet"
for i in $(seq 1 60); do echo "company$(( i % 10 + 1 )).test MX"; done >"$MXG_T/q60"
dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 -b 127.0.0.5 -f "$MXG_T/q60" +noall >/dev/null 2>&1
wait_until 15 reported '^mxguard_log_lines_suppressed_total{instance="res-m"} [1-9]'
ok $? "60 refusals of one client: mxguard_log_lines_suppressed_total $(m 'mxguard_log_lines_suppressed_total{instance="res-m"}')"

# a bad reload shows in the metrics
echo "mode: refuse-everything" >>"$D/mxguard.conf"
ubctl "$D" reload >/dev/null
exported() {
	curl -sf "http://127.0.0.1:$EP/metrics" >"$MXG_T/exp.txt" 2>/dev/null
	grep -q "$1" "$MXG_T/exp.txt"
}
wait_until 10 exported '^mxguard_passthrough{instance="res-m"} 1$'
ok $? "after a bad reload: mxguard_passthrough 1"
"$EXPORTER" --help | grep -q -- "--listen" && "$EXPORTER" --version | grep -q "^mxguard-exporter "
ok $? "mxguard-exporter --help and --version"
stop_pid "$EXP_PID"
done_testing
