#!/usr/bin/env bash
# tests/integration/test_logfile.sh - the JSON log file: when it cannot be
# opened the verdicts go to Unbound's log with one error (not one per
# retry), and go back to the file once it can be written; rotation by
# rename is followed within 3 s (the new file is created), copytruncate
# works (O_APPEND), and unbound-control log_reopen leaves it alone.
. "$(dirname "$0")/lib.sh"
mxg_setup
start_zone 10
resolver_dir u
cat >"$D/mxguard.conf" <<EOF
mode: log
relay: 127.0.0.2
log-file: $D/logs/mxguard.json
EOF
start_unbound "$D"
ok $? "unbound starts although the log file's directory is missing"
PORT=$UB_PORT
ask() { dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 -b "$1" "$2" MX +noall >/dev/null 2>&1; }
# lines of the JSON log naming a query
in_file() { cat "$D/logs/mxguard.json" 2>/dev/null | grep -c "\"DnsQuery\":\"$1\""; }

ask 127.0.0.5 company1.test
wait_for "$D/unbound.log" '"DnsQuery":"company1.test"' 5
ok $? "the verdict went to Unbound's log"
# the thread tries the file again before it writes lines while it has none
# open (and every 3 s): a verdict line in Unbound's log is a retry that
# failed, and such a retry shows nowhere else (that is what is checked)
for n in 2 7 8; do
	ask 127.0.0.5 "company$n.test"
	wait_for "$D/unbound.log" "\"DnsQuery\":\"company$n.test\"" 5
done
n=$(grep -c "log-file $D/logs/mxguard.json: cannot open" "$D/unbound.log")
[ "$n" = 1 ]
ok $? "one error about the log file, not one per retry ($n)"

mkdir "$D/logs"
# asked NAME: one lookup of NAME; is a line of it in the file?
asked() { ask 127.0.0.5 "$1"; [ "$(in_file "$1")" -ge 1 ]; }
wait_until 12 asked company3.test
ok $? "once the directory exists the verdicts go to the file again"

mv "$D/logs/mxguard.json" "$D/logs/mxguard.json.1"
wait_until 12 asked company4.test
ok $? "rotation by rename: a new file within 3 s"
[ "$(grep -c '"DnsQuery":"company3.test"' "$D/logs/mxguard.json.1")" -ge 1 ]
ok $? "the rotated file keeps the lines before the move"

# copytruncate: copy, truncate in place; the next line starts the file
cp "$D/logs/mxguard.json" "$D/logs/mxguard.json.2"
: >"$D/logs/mxguard.json"
ask 127.0.0.5 company5.test
in_file_now() { [ "$(in_file "$1")" -ge 1 ]; }
wait_until 5 in_file_now company5.test
[ "$(head -c 1 "$D/logs/mxguard.json")" = "{" ] && [ "$(in_file company5.test)" -ge 1 ]
ok $? "copytruncate: the file starts with the next line (no hole)"

ubctl "$D" log_reopen >/dev/null
ok $? "unbound-control log_reopen"
ask 127.0.0.5 company6.test
wait_until 5 in_file_now company6.test
ok $? "the JSON log goes on after log_reopen"

done_testing
