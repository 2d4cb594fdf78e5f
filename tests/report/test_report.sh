#!/usr/bin/env bash
# test_report.sh: `mtdb report`, `check`, `diff` and `query` on a known trace
# (fixture.sql over sql/*.sql) and its known next run (fixture_new.sql).
# Usage: test_report.sh MTDB SOURCE_DIR CASE [BUILD_DIR [LEAKY_PROG]].
# Exit 0 pass, 1 fail, 77 skipped.
# Leaves nothing behind in TMPDIR.
set -euo pipefail

mtdb=$1 src=$2 case=$3 build=${4:-} leaky=${5:-}
here=$src/tests/report
# shellcheck source=/dev/null
. "$src/tests/common/tst_scratch.sh"
scratch=
tst_scratch report-test
cd "$scratch"
# The derived tables (user sites, per-block totals) are made after the rows, as the
# importer does; the SQL files are the documented way to remake them by hand.
derive() { cat "$src"/sql/55-derive.sql "$src"/sql/56-derive-blocks.sql | sqlite3 "$1"; }
cat "$src"/sql/*.sql "$here/fixture.sql" | sqlite3 trace.db
cp trace.db new.db
derive trace.db
sqlite3 new.db <"$here/fixture_new.sql"
derive new.db

fail() { echo "FAIL: $*" >&2; exit 1; }
# Runs mtdb, checking its exit status; stdout to out, stderr to err.
expect_status() {
  local want=$1; shift
  local got=0
  "$mtdb" "$@" >out 2>err || got=$?
  [[ $got == "$want" ]] || { cat out err >&2; fail "mtdb $*: exit $got, expected $want"; }
}
# MTDB_UPDATE_EXPECTED=1 rewrites the expected file first (then read `git diff` before
# committing it: every changed number must follow from the fixture).
same_as() {
  [[ ${MTDB_UPDATE_EXPECTED:-0} == 1 ]] && cp "${2:-out}" "$here/expected/$1"
  diff -u "$here/expected/$1" "${2:-out}" || fail "output differs from expected/$1"
}

case_text() {
  expect_status 0 report trace.db
  same_as report.txt
  awk 'length > 100 { exit 1 }' out || fail "a line is wider than 100 columns"
  grep -q $'\033' out && fail "colour without a terminal"
  if command -v script >/dev/null; then # a pseudo-terminal: colour, unless NO_COLOR
    script -qec "'$mtdb' report trace.db" /dev/null >tty.out || fail "report on a terminal"
    grep -q $'\033\[1mLeaks' tty.out || fail "no colour on a terminal"
    NO_COLOR=1 script -qec "'$mtdb' report trace.db" /dev/null >tty.out
    grep -q $'\033' tty.out && fail "colour with NO_COLOR set"
  fi
  NO_COLOR=1 expect_status 0 report --rows 1 -p 1 trace.db
  # leak_it: in leaks, peak and advice, but not as the second hotspot (4 times without --rows)
  [[ $(grep -c 'leak_it' out) == 3 ]] || fail "--rows 1: leak_it once in leaks, peak and advice"
  expect_status 1 report -p 7 trace.db
  grep -q "no process 7" err || fail "an unknown process is named"
}

case_json() {
  expect_status 0 report -f json trace.db
  same_as report.json
  python3 -c 'import json,sys; d=json.load(open("out")); assert d["schema"]=="mtdb-report" and d["version"]==2; l=d["processes"][0]["sections"]["leaks"]["rows"][0]; assert l["bytes"]==2000 and l["site"]=="leak_it" and l["class"]=="user" and l["path"]=="leak_it < main"; assert [(f["function"], f["file"], f["line"]) for f in l["stack"]]==[("leak_it", "src/fixture.c", 30), ("main", "src/fixture.c", 10)] and l["stacks_at_site"]==1' ||
    fail "json does not parse or lacks the leak"
  # a site's stack is read from site_top_stacks (kept per process at import), and from
  # the stacks themselves in a database without it: the same report either way
  cp trace.db tops.db
  sqlite3 tops.db "UPDATE site_top_stacks SET stacks = 7 WHERE site = 'leak_it'"
  expect_status 0 report -f json tops.db
  grep -q '"site": "leak_it", [^}]*"stacks_at_site": 7, "stack_id": 2' out ||
    fail "the leak's stack is not site_top_stacks'"
  sqlite3 tops.db "DROP TABLE site_top_stacks"
  expect_status 0 report -f json tops.db
  sed 's/tops\.db/trace.db/' out >out.fallback
  same_as report.json out.fallback
}

# The folded lines sum exactly to the view's totals, for every weight.
case_folded() {
  local w sql
  for w in allocations bytes leaked; do
    case $w in
      allocations) sql='SELECT sum(calls) FROM hotspots' ;;
      bytes) sql='SELECT sum(bytes) FROM hotspots' ;;
      leaked) sql="SELECT sum(bytes) FROM leaks WHERE kind = 'live_at_exit'" ;;
    esac
    expect_status 0 report -f folded -w "$w" -o "$w.folded" trace.db
    [[ $(awk '{ s += $NF } END { print s }' "$w.folded") == $(sqlite3 trace.db "$sql") ]] ||
      fail "folded $w does not sum to the view's total"
  done
  same_as folded-allocations.txt allocations.folded
  expect_status 0 report -f folded -w leaked -p 1 trace.db
  [[ $(cat out) == "main;leak_it 2000" ]] || fail "folded leaked for process 1: $(cat out)"
  # Stacks are named from the tree read once (report/rpt_stacks.c) as stack_symbols names
  # them: make_buffer inlined into a caller of its own, and the block without a stack
  # moved to stack 4, whose middle frame has no symbol (module+offset), then every line
  # against the view's frames, outermost first, inlined callers before their callees.
  cp trace.db names.db
  sqlite3 names.db "INSERT INTO symbols VALUES (2, 1, 'buffer_pool', 'src/fixture.c', 60);
    UPDATE allocations SET stack_id = 4 WHERE block_id = 10;"
  derive names.db
  expect_status 0 report -f folded names.db
  sqlite3 names.db "SELECT (SELECT group_concat(name, ';') FROM (SELECT CASE
      WHEN coalesce(function, '') <> '' THEN function
      ELSE replace(module, rtrim(module, replace(module, '/', '')), '')
        || printf('+0x%x', module_offset) END AS name
      FROM stack_symbols WHERE stack_id = g.stack_id ORDER BY position DESC, inline_depth DESC))
      || ' ' || sum(g.blocks)
    FROM stack_totals g GROUP BY g.stack_id HAVING sum(g.blocks) > 0 ORDER BY g.stack_id" >names.want
  grep -qx 'main;buffer_pool;make_buffer 4' out || fail "folded: no inlined caller: $(cat out)"
  grep -qx 'main;fixture+0x11f4;grow 1' out || fail "folded: no unnamed frame: $(cat out)"
  diff -u names.want out || fail "folded names differ from stack_symbols'"
}

case_pprof() {
  expect_status 0 report -f pprof -o heap.pb.gz trace.db
  gzip -t heap.pb.gz || fail "not gzip"
  if ! command -v go >/dev/null; then
    echo "SKIPPED: go tool pprof: golang-go is not installed (scripts/install-deps.sh)" >&2
    exit 77
  fi
  export HOME=$scratch GOCACHE=$scratch/gocache GOPATH=$scratch/go
  go tool pprof -top -unit=byte -sample_index=inuse_space heap.pb.gz >top 2>&1 || { cat top; fail "pprof"; }
  grep -A1 'flat%' top | tail -1 | grep -q ' leak_it$' || { cat top; fail "top inuse not leak_it"; }
  grep -q 'Showing nodes accounting for 2000B, 100% of 2000B total' top || { cat top; fail "total"; }
  go tool pprof -top -sample_index=alloc_objects heap.pb.gz >top 2>&1
  grep -A1 'flat%' top | tail -1 | grep -q ' make_buffer$' || { cat top; fail "top allocs"; }
  grep -q 'of 10 total' top || { cat top; fail "alloc_objects total is not 10"; }
}

case_check() {
  expect_status 0 check --max-leaked-bytes 2000 --max-peak-bytes 2400 --max-allocations 10 trace.db
  [[ ! -s out ]] || fail "check printed when all limits hold"
  expect_status 1 check --max-leaked-bytes 2K --max-peak-bytes 3399 --max-allocations 12 new.db
  same_as check-broken.txt
  # temporaries as diff counts them: 4 in the fixture (make_buffer's 3 and a block without stack)
  expect_status 0 check --max-temporaries 4 trace.db
  expect_status 1 check --max-temporaries 3 trace.db
  grep -qx 'mtdb check: temporaries 4 exceeds --max-temporaries 3' out || fail "temporaries: $(cat out)"
  # the runtime's own blocks live at exit are no leak of the program's: not counted
  cp trace.db runtime.db
  sqlite3 runtime.db "UPDATE site_labels SET class = 'runtime' WHERE site = 'leak_it';
    UPDATE site_totals SET class = 'runtime', class_order = 1 WHERE site = 'leak_it'"
  expect_status 0 check --max-leaked-bytes 0 runtime.db
  expect_status 1 check --max-leaked-bytes 0 trace.db
  cp trace.db notemp.db
  sqlite3 notemp.db 'DROP TABLE site_totals'
  expect_status 1 check --max-temporaries 5 notemp.db
  grep -q "cannot be checked" out || fail "a limit without its view passes"
  expect_status 2 check trace.db
}

case_diff() {
  expect_status 0 diff trace.db new.db
  same_as diff.txt
  expect_status 0 diff -f json trace.db new.db
  python3 -c '
import json; d=json.load(open("out")); s={x["site"]: x["status"] for x in d["sites"]}
assert s == {"leak_it": "grew", "make_buffer": "shrank", "grow": "appeared", "(no stack)": "grew"}, s
assert d["totals"]["leaked_bytes"] == {"base": 2000, "new": 3000}
assert d["totals"]["temporaries"] == {"base": 4, "new": 7}, d["totals"]
x={x["site"]: x for x in d["sites"]}
assert x["grow"]["base"] is None and x["grow"]["new"]["temporaries"] == 5, x["grow"]
assert x["make_buffer"]["new"]["temporaries"] - x["make_buffer"]["base"]["temporaries"] == -3
assert [v["class"] for v in d["sites"]] == ["user"] * 3 + ["unknown"], d["sites"]
assert x["(no stack)"]["new"]["temporaries"] - x["(no stack)"]["base"]["temporaries"] == 1' ||
    fail "diff json"
  expect_status 0 diff new.db trace.db
  grep -q '^  vanished .* grow (fixture.c)$' out || fail "grow vanished"
}

case_bad_database() {
  echo "not a database at all, just text" >text.db
  expect_status 1 report text.db
  grep -q '^mtdb: error: text.db: ' err || fail "text file: $(cat err)"
  sqlite3 foreign.db 'CREATE TABLE t(x)'
  expect_status 1 report foreign.db
  grep -q 'foreign.db: not an mtdb database' err || fail "foreign: $(cat err)"
  expect_status 1 diff trace.db foreign.db
  grep -q 'not an mtdb database' err || fail "diff foreign"
  # a database of an older schema (version 1: stack_frames a table, no stack tree) is refused
  cp trace.db old.db
  sqlite3 old.db 'PRAGMA user_version = 1'
  expect_status 1 report old.db
  local version
  version=$(sed -n 's/^PRAGMA user_version = \([0-9]*\);$/\1/p' "$src"/sql/00-pragmas.sql)
  grep -q "old.db: schema version 1, this mtdb reads version $version: import the trace again" err ||
    fail "old schema: $(cat err)"
  expect_status 1 report missing.db
  grep -q 'missing.db: no such database file' err || fail "missing: $(cat err)"
  expect_status 2 report -f nope trace.db
  # a view this SQLite cannot run (generate_series is in the sqlite3 shell only) is named,
  # and the rest of the report still comes out
  cp trace.db broken.db
  sqlite3 broken.db "DROP VIEW advice; CREATE VIEW advice AS SELECT value AS process_id, value AS rank,
    '' AS severity, '' AS kind, '' AS site, '' AS suggestion, '' AS location,
    '' AS evidence FROM generate_series(1, 3)"
  expect_status 0 report broken.db
  grep -q 'not in this database (view advice cannot be read: no such table: .*generate_series)' out ||
    fail "broken view: $(grep -A1 Advice out)"
  grep -q 'leak_it' out || fail "the rest of the report is missing"
  # a database imported before name_gaps existed: that line, which only ever says what is
  # missing, says nothing
  cp trace.db older.db
  sqlite3 older.db "DROP VIEW name_gaps"
  expect_status 0 report older.db
  grep -q 'without names\|name_gaps' out && fail "older database: $(cat out)"
  grep -q 'leak_it' out || fail "older database: the rest of the report is missing"
}

case_query() {
  expect_status 0 query --list
  grep -q '^leaks  *which of my functions left memory allocated at exit' out || fail "--list: $(cat out)"
  local queries=("$src"/queries/*.sql)
  [[ $(grep -c '^[a-z]' out) == "${#queries[@]}" ]] || fail "--list misses queries"
  # a question of two header lines is whole, wrapped under its column within 100 columns
  grep -qx '                     chains, and which threads allocate in bursts?' out ||
    fail "--list cuts the bottlenecks question: $(cat out)"
  [[ $(awk 'length > 100' out) == "" ]] || fail "--list wider than 100 columns"
  expect_status 0 query leaks trace.db
  grep -q '^1  *user  *leak_it  *fixture.c:30  *2  *2000 ' out || fail "query leaks: $(cat out)"
  expect_status 1 query no_such_query trace.db
  # sentences wrap inside their column and are never cut: every word of every suggestion
  # and evidence is printed, and the rule under the header is as wide as each column
  expect_status 0 query advice trace.db
  local word
  for word in $(sqlite3 trace.db "SELECT suggestion || ' ' || evidence FROM advice"); do
    grep -qF -- "$word" out || fail "query advice lost '$word': $(cat out)"
  done
  sed -n 2p out | grep -qx -- '-[- ]*-' || fail "query advice: no rule under the header"
  [[ $(awk 'length > 100' out) == "" ]] || fail "query advice wider than 100 columns: $(cat out)"
}

# Two real recordings of rpt_leaky_prog: `1 10` then `3 40`, so leak_blocks leaks 2 more
# blocks of 100 bytes, churn makes 30 more temporaries of 64 bytes and steady does not
# change; diff and check see exactly that difference. temporary_us is raised to 10 s and
# the sites derived again, so a slow machine cannot turn a temporary into a lasting block.
case_recorded_runs() {
  local run
  for run in "1 10" "3 40"; do
    local name=run${run%% *}
    expect_status 0 record -q -o "$name" -- "$leaky" $run
    expect_status 0 import -q -o "$name.db" "$name"
    sqlite3 "$name.db" "UPDATE analysis_params SET value = 10000000 WHERE name = 'temporary_us'"
    derive "$name.db"
  done
  expect_status 0 check --max-leaked-bytes 100 run1.db
  expect_status 1 check --max-leaked-bytes 100 run3.db
  grep -qx 'mtdb check: leaked bytes 300 exceeds --max-leaked-bytes 100' out ||
    fail "check: $(cat out)"
  expect_status 0 diff -f json run1.db run3.db
  python3 -c '
import json; d=json.load(open("out"))
s={x["site"]: x for x in d["sites"]}
assert sorted(s) == ["churn", "leak_blocks"], d["sites"]
def row(calls, nbytes, lb, lby, peak, temps, tby):
    return {"calls": calls, "bytes": nbytes, "leaked_blocks": lb, "leaked_bytes": lby,
            "peak_bytes": peak, "temporaries": temps, "temporary_bytes": tby}
l, c = s["leak_blocks"], s["churn"]
assert l["status"] == "grew" and l["class"] == "user" and l["file"].endswith("rpt_leaky_prog.c"), l
assert l["base"] == row(1, 100, 1, 100, 100, 0, 0), l
assert l["new"] == row(3, 300, 3, 300, 300, 0, 0), l
assert c["status"] == "grew" and c["class"] == "user", c
assert c["base"] == row(10, 640, 0, 0, 0, 10, 640), c
assert c["new"] == row(40, 2560, 0, 0, 0, 40, 2560), c
assert d["unchanged_sites"] == 1, d  # steady
t = {k: v["new"] - v["base"] for k, v in d["totals"].items()}
assert t == {"calls": 32, "bytes": 2120, "leaked_blocks": 2, "leaked_bytes": 200,
             "peak_bytes": 200, "temporaries": 30, "temporary_bytes": 1920}, t' ||
    fail "diff of the two runs: $(cat out)"
  expect_status 0 diff run1.db run3.db
  [[ $(awk 'length > 100' out) == "" ]] || fail "diff wider than 100 columns: $(cat out)"
  grep -qx '  grew  *+30  *+1.9 KiB  *0  *0 B  *0 B  *+30  churn (rpt_leaky_prog.c)' out ||
    fail "diff text, churn: $(cat out)"
  grep -qx '  grew  *+2  *+200 B  *+2  *+200 B  *+200 B  *0  leak_blocks (rpt_leaky_prog.c)' out ||
    fail "diff text, leak_blocks: $(cat out)"
  grep -qx '  temporaries  *15  *45  *+30' out || fail "diff text, temporaries: $(cat out)"
  grep -q steady out && fail "steady did not change: $(cat out)"
  expect_status 0 diff run3.db run1.db
  grep -qx '  shrank  *-30  *-1.9 KiB  *0  *0 B  *0 B  *-30  churn (rpt_leaky_prog.c)' out ||
    fail "diff text, reversed: $(cat out)"
}

# Several processes (a shell running the program twice): the report lists them first,
# one row each, exactly the processes of the database; -p shows one, without the list.
# The shell's script has two lines: a command is shown on one.
case_processes() {
  expect_status 0 record -q -o procs -- sh -c "'$leaky' 1 10"$'\n'"'$leaky' 3 40"
  expect_status 0 import -q -o procs.db procs
  local n ids
  n=$(sqlite3 procs.db "SELECT count(*) FROM summary")
  ids=$(sqlite3 procs.db "SELECT group_concat(process_id, ' ') FROM summary")
  (( n >= 3 )) || fail "a shell and two runs: $n processes"
  expect_status 0 report procs.db
  grep -q '^  Processes, in the order reported below' out || fail "no process list: $(cat out)"
  # the list's rows: id, pid, from, then the same figures as each process's own header
  [[ $(awk '/^  Processes/ { on = 1; next } on && /^$/ { exit } on && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $3 ~ /^(root|fork|exec|spawn)$/ { print $1 }' out |
    tr '\n' ' ') == "$ids " ]] || fail "process list rows, expected ids $ids: $(cat out)"
  local leaky_rows
  leaky_rows=$(sqlite3 procs.db "SELECT count(*) FROM summary WHERE started_by <> 'root'
    AND command LIKE '%rpt_leaky_prog 3 40'")
  [[ $leaky_rows == 1 ]] || fail "the second run is one process of its own: $leaky_rows"
  local id3 allocs3
  id3=$(sqlite3 procs.db "SELECT process_id FROM summary WHERE command LIKE '%rpt_leaky_prog 3 40'")
  allocs3=$(sqlite3 procs.db "SELECT alloc_calls FROM summary WHERE process_id = $id3")
  # id, pid, from, command (cut to its column), allocations, peak, at exit
  [[ $(awk -v id="$id3" '$1 == id && $3 ~ /^(fork|exec|spawn)$/ { print $(NF - 4) }' out) == \
    "$allocs3" ]] || fail "row of process $id3, $allocs3 allocations: $(cat out)"
  [[ $(grep -c '^process [0-9]*: pid' out) == "$n" ]] || fail "every process reported"
  grep -q "^'" out && fail "a command's second line began a line of the report: $(cat out)"
  # a later process's sections come from tables of every process's first rows made once
  # (rpt_sections.c); -p reads its process's rows from the views: the same text, with
  # a row limit that cuts its tables
  expect_status 0 report --rows 2 procs.db
  awk -v id="$id3" '/^process [0-9]+: pid/ { on = ($2 == id ":") } on' out >all.part
  expect_status 0 report --rows 2 -p "$id3" procs.db
  awk '/^process [0-9]+: pid/ { on = 1 } on' out >one.part
  expect_status 0 report -p "$id3" procs.db
  grep -q 'Processes, in the order' out && fail "-p: no process list"
  [[ $(grep -c '^process [0-9]*: pid' out) == 1 ]] || fail "-p: one process"
  [[ -s one.part ]] || fail "-p: no process section"
  diff -u one.part all.part || fail "process $id3 reads differently alone and among the others"
}

# Opens the page in headless Chromium with "#search=TEXT" and keeps the DOM it built.
chromium_dom() { # html file, search text, dom output, screenshot (optional)
  local profile; profile=$(mktemp -d "$scratch/chromium.XXXXXX")
  local flags=(--headless --no-sandbox --disable-gpu --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir="$profile" --virtual-time-budget=5000 "--window-size=1200,1800")
  timeout 120 chromium "${flags[@]}" --dump-dom "file://$scratch/$1#search=$2" >"$3" 2>/dev/null ||
    fail "chromium"
  if [[ -n ${4:-} ]]; then
    timeout 120 chromium "${flags[@]}" --screenshot="$4" "file://$scratch/$1" >/dev/null 2>&1 ||
      fail "screenshot"
  fi
}
count() { grep -o -- "$1" "$2" | wc -l; }

# The page renders its charts, a search filters the tables, nothing was requested.
case_html() {
  expect_status 0 report -f html -o report.html trace.db
  grep -q "Content-Security-Policy\" content=\"default-src 'none'" report.html || fail "no CSP"
  # a row's whole stack (shown on click) is the JSON report's: leak_it's leak, innermost first
  grep -qF '"site": "leak_it", "location": "src/fixture.c:30", "path": "leak_it \u003c main", "stacks_at_site": 1, "stack_id": 2, "stack": [{"function": "leak_it", "short_name": null, "file": "src/fixture.c", "line": 30' report.html ||
    fail "the page's leak row has no stack"
  if ! command -v chromium >/dev/null; then
    echo "SKIPPED: headless check: chromium is not installed (scripts/install-deps.sh)" >&2
    exit 77
  fi
  mkdir -p "$build/tests/report"
  chromium_dom report.html make_buffer dom.html "$build/tests/report/report-html.png"
  grep -q 'data-ready="1"' dom.html || fail "page script did not finish"
  grep -q 'data-requests="0"' dom.html || fail "the page made requests"
  (( $(count '<rect' dom.html) >= 8 )) || fail "flame graph not drawn"
  [[ $(count 'class="cell"' dom.html) == 3 ]] || fail "heat map: 3 thread pairs"
  [[ $(count 'class="line"' dom.html) == 1 ]] || fail "timeline: 1 process"
  [[ $(count 'class="match"' dom.html) == 2 ]] || fail "flame search: make_buffer under main and worker_loop"
  # leaks: leak_it only, so none match; hotspots: make_buffer, one site of three rows
  grep -o 'data-shown="[0-9]*"' dom.html | head -2 | tr '\n' ' ' | grep -qx 'data-shown="0" data-shown="1" ' ||
    fail "search did not filter: $(grep -o 'data-shown="[0-9]*"' dom.html | tr '\n' ' ')"
  [[ -s $build/tests/report/report-html.png ]] || fail "no screenshot"
  echo "screenshot: $build/tests/report/report-html.png"
}

# cmake --install into a new prefix: the installed mtdb finds its queries, man pages
# and completion are in place.
case_install() {
  cmake --install "$build" --prefix "$scratch/prefix" >install.log || { cat install.log; fail "install"; }
  local p=$scratch/prefix f
  for f in bin/mtdb share/mtdb/queries/leaks.sql share/man/man1/mtdb.1 \
    share/man/man1/mtdb-report.1 share/man/man1/mtdb-query.1 \
    share/bash-completion/completions/mtdb share/pkgconfig/mtrec.pc include/mtrec.h \
    share/doc/mtdb/report-json.md; do
    [[ -e $p/$f ]] || fail "not installed: $f"
  done
  grep -q 'mtdb check \[options\]' "$p/share/man/man1/mtdb-check.1" || fail "man page is not --help"
  mtdb=$p/bin/mtdb MTDB_QUERIES='' expect_status 0 query leaks trace.db
  grep -q 'leak_it' out || fail "installed mtdb query"
  bash -n "$p/share/bash-completion/completions/mtdb" || fail "completion syntax"
}

"case_$case"
echo "PASS: $case"
