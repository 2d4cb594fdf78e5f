#!/usr/bin/env bash
# gen-man.sh: man pages for mtdb and each of its subcommands, made from the same text as
# their --help (run at build time: `gen-man.sh path/to/mtdb OUTDIR VERSION`).
# Writes OUTDIR/mtdb.1 and OUTDIR/mtdb-COMMAND.1; never edits the help text itself.
set -euo pipefail

mtdb=$1 out=$2 version=${3:-}
mkdir -p "$out"

# Escapes what roff would read as requests or escapes.
roff_escape() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/' -e 's/^-/\\-/'; }

write_page() { # name, one-line summary, help text
  local name=$1 summary=$2 help=$3 upper
  upper=$(tr '[:lower:]-' '[:upper:]_' <<<"$name")
  {
    printf '.TH %s 1 "" "mtdb %s" "mtdb manual"\n' "$upper" "$version"
    printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
    printf '.SH DESCRIPTION\n.nf\n'
    roff_escape <<<"$help"
    printf '.fi\n.SH SEE ALSO\nmtdb(1); the documentation in share/doc/mtdb\n'
  } >"$out/$name.1"
}

write_page mtdb "heap recorder for multithreaded C/C++ programs" "$("$mtdb" --help)"
"$mtdb" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print }' |
  while read -r command summary; do
    write_page "mtdb-$command" "$summary" "$("$mtdb" "$command" --help)"
  done
