# Shared by scripts/test: the test run, bounded in time. Sourced, not run.

# Runs `swift test --skip-build` with its output shown as it comes, and gives it at most
# LONGRUN_SUITE_LIMIT seconds (default 1500: CI stops at 90 minutes, the suite takes a
# few). A run past the bound is a hang: it names the tests that started and never ended,
# kills the test process and everything it started, and fails, so that the next person
# learns which test hung instead of only that CI gave up.
run_bounded_suite() {
  local limit="${LONGRUN_SUITE_LIMIT:-1500}"
  local log
  log="$(mktemp)"
  swift test --skip-build >"$log" 2>&1 &
  local suite=$!
  tail -n +1 -f --pid="$suite" "$log" &
  local follower=$!
  local waited=0
  while kill -0 "$suite" 2>/dev/null && [ "$waited" -lt "$limit" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if kill -0 "$suite" 2>/dev/null; then
    echo "test: the suite did not finish within $limit s; tests that started and never ended:" >&2
    unfinished_tests "$log" | sed 's/^/test:   /' >&2
    # `swift test` runs the tests in a child of its own (in another process group), and
    # what the tests started watches that child and stops when it ends.
    kill_tree "$suite"
    # Clusters the tests started run detached; their programs are this build's.
    pkill -KILL -f "$PWD/.build/" 2>/dev/null || true
    wait "$suite" 2>/dev/null || true
    wait "$follower" 2>/dev/null || true
    rm -f "$log"
    return 1
  fi
  local status=0
  wait "$suite" || status=$?
  wait "$follower" 2>/dev/null || true
  rm -f "$log"
  return "$status"
}

# SIGKILL to PID and every process below it, the children first being found before
# their parent dies (after that they belong to init). PostgreSQL watchdogs are spared:
# they stop their server when the test process is gone.
kill_tree() {
  local child
  if ps -o args= -p "$1" 2>/dev/null | grep -q longrun-watchdog; then return; fi
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    kill_tree "$child"
  done
  kill -KILL "$1" 2>/dev/null || true
}

# The names of the tests LOG says started and never says passed or failed (Swift
# Testing's console lines; a parameterised test ends once, after all its cases).
unfinished_tests() {
  python3 - "$1" <<'EOF'
import re, sys
started, ended = [], set()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.strip()
    match = re.match(r"^◇ Test (?!case passing )(.+) started\.$", line)
    if match:
        started.append(match.group(1))
        continue
    match = re.match(r"^[✔✘] Test (.+?)(?: with \d+ test cases?)? (?:passed|failed)", line)
    if match:
        ended.add(match.group(1))
for name in started:
    if name == "run":  # "Test run started." is the run itself
        continue
    if name not in ended:
        print(name)
EOF
}
