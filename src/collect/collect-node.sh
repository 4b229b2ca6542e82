#!/bin/sh
# knetdbg node collector, printed by `knetdbg collect --script` (knetdbg @@VERSION@@).
#
# Writes the dump layout of `knetdbg collect` with standard tools only (sh, date, uname, awk, tr, tar, gzip and
# the netfilter tools): one file per source plus meta.json (hostname, time, kernel, tool versions, and per
# source the exact command, exit status, duration in ms and stderr). For nodes without Node.js; analyse the
# result anywhere with `knetdbg trace ... --from DUMP`.
#
# READ-ONLY: it only runs listing commands (iptables-save, ipset list, conntrack -L, ip ... show, nft list)
# and reads /proc/sys and /proc/net/xt_recent. A missing tool or a failing command is recorded and the rest is still captured.
#
# Usage: sh collect.sh [OUTPUT [ROOT]]
#   OUTPUT  NAME.tar.gz or NAME.tgz: an archive; - : the archive on stdout; anything else: a new folder.
#           Default: ${TMPDIR:-/tmp}/knetdbg-HOST-TIME.tar.gz
#   ROOT    The node's filesystem root, where the CNI result cache (ROOT/var/lib/cni/results) and the pod
#           log folders (ROOT/var/log/pods) are read: /host when run in a `kubectl debug node` pod without
#           chroot. Default: $KNETDBG_ROOT, else @@ROOT@@. /proc/sys is always read from /proc (its net.*
#           values follow the network namespace of the reader, not the filesystem).
#   kubectl debug node/NODE --profile=sysadmin -i --image=busybox -- chroot /host sh -s - < collect.sh > dump.tar.gz
set -u
LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"
export PATH
umask 077

# stderr kept per source in meta.json, in characters.
MAX_STDERR=16384

progress() { printf 'knetdbg: %s\n' "$*" >&2; }

# Milliseconds since the epoch; whole seconds (x1000) where date(1) has no %N (busybox, BSD).
now_ms() {
  t=$(date +%s%N 2>/dev/null)
  case $t in
    '' | *[!0-9]*) echo $(( $(date +%s) * 1000 )) ;;
    *) echo $(( t / 1000000 )) ;;
  esac
}

# stdin as a JSON string: lines joined by \n, at most MAX_STDERR characters. Control characters other than
# tab and CR are dropped; escaping is done character by character because gsub's backslash handling differs
# between awk implementations.
json_text() {
  tr -d '\000-\010\013\014\016-\037' | awk -v max="$MAX_STDERR" '
    function esc(s,   out, i, c) {
      out = ""
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\") out = out "\\\\"
        else if (c == "\"") out = out "\\\""
        else if (c == "\t") out = out "\\t"
        else if (c == "\r") out = out "\\r"
        else out = out c
      }
      return out
    }
    BEGIN { printf "\""; total = 0 }
    {
      if (total >= max) next
      s = $0
      if (total + length(s) > max) s = substr(s, 1, max - total)
      if (NR > 1) printf "\\n"
      printf "%s", esc(s)
      total += length(s) + 1
    }
    END { printf "\"" }'
}

json_value() { printf '%s' "$1" | json_text; }

first_line() { awk 'NF { print; exit }'; }

out=${1:-}
root=${2:-${KNETDBG_ROOT:-@@ROOT@@}}
[ -d "${root:-/}" ] || progress "the node root $root is not a folder: no CNI cache or pod log folders will be found"
# Without trailing slashes, so "$root/var/..." is the path `knetdbg collect --root` records (/ gives /var/...).
while :; do
  case $root in
    */) root=${root%/} ;;
    *) break ;;
  esac
done
host=$(uname -n 2>/dev/null)
kernel=$(uname -r 2>/dev/null)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
safe_host=$(printf '%s' "${host:-node}" | tr -c 'A-Za-z0-9._-' '_')
[ -n "$out" ] || out="${TMPDIR:-/tmp}/knetdbg-$safe_host-$stamp.tar.gz"

case $out in
  -) mode=stdout; name="knetdbg-$safe_host-$stamp"; stage_parent=${TMPDIR:-/tmp} ;;
  *.tar.gz | *.tgz)
    mode=archive
    name=$(basename "$out")
    name=${name%.tar.gz}
    name=${name%.tgz}
    # Staged next to the output, not in /tmp, which is often RAM-backed tmpfs on nodes.
    stage_parent=$(dirname "$out") ;;
  *) mode=folder ;;
esac

if [ "$mode" = folder ]; then
  dir=$out
  mkdir -p "$dir" || exit 1
  if [ -n "$(ls -A "$dir")" ]; then
    progress "$dir is not empty: give a new folder or a .tar.gz file name"
    exit 1
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/knetdbg-collect.XXXXXX") || exit 1
else
  mkdir -p "$stage_parent" || exit 1
  work=$(mktemp -d "$stage_parent/.knetdbg-collect.XXXXXX") || exit 1
  dir="$work/$name"
  mkdir "$dir" || exit 1
fi
trap 'rm -rf "$work"' EXIT
trap 'exit 130' HUP INT TERM

records="$work/records"
errf="$work/stderr"
: > "$records"
# Per-command timeouts need timeout(1) (coreutils or busybox); without it commands run unbounded.
timeout_cmd=
if command -v timeout > /dev/null 2>&1; then timeout_cmd=timeout; fi

# record ID COMMAND_JSON EXIT DURATION_MS FILE ERROR: one element of meta.json "sources" (stderr from $errf).
record() {
  [ -s "$records" ] && printf ',\n' >> "$records"
  {
    printf '    {"id": "%s", "command": %s, "exitCode": %s, "durationMs": %s, "stderr": ' "$1" "$2" "$3" "$4"
    json_text < "$errf"
    [ -n "$5" ] && printf ', "file": "%s"' "$5"
    [ -n "$6" ] && printf ', "error": %s' "$(json_value "$6")"
    printf '}'
  } >> "$records"
}

# run_source ID FILE TIMEOUT_S COMMAND_JSON ARGV...: runs one listing command, stdout to its file.
run_source() {
  id=$1 file=$2 limit=$3 cmd_json=$4
  shift 4
  : > "$errf"
  if ! command -v "$1" > /dev/null 2>&1; then
    record "$id" "$cmd_json" null 0 '' 'not found'
    progress "$*: not found"
    return
  fi
  t0=$(now_ms)
  if [ -n "$timeout_cmd" ]; then
    "$timeout_cmd" "$limit" "$@" < /dev/null > "$dir/$file" 2> "$errf"
  else
    "$@" < /dev/null > "$dir/$file" 2> "$errf"
  fi
  rc=$?
  t1=$(now_ms)
  error=
  code=$rc
  if [ -n "$timeout_cmd" ] && [ "$rc" -eq 124 ]; then
    error="timed out after $((limit * 1000)) ms"
    code=null
  elif [ "$rc" -ne 0 ]; then
    error="exit status $rc"
    line=$(first_line < "$errf")
    [ -n "$line" ] && error="$error: $line"
  fi
  kept=$file
  # A failing command's partial output is kept; an empty one is not.
  if [ -n "$error" ] && [ ! -s "$dir/$file" ]; then
    rm -f "$dir/$file"
    kept=
  fi
  record "$id" "$cmd_json" "$code" $((t1 - t0)) "$kept" "$error"
  progress "$* (${error:-ok}, $((t1 - t0)) ms)"
}

# read_sysctl ID FILE COMMAND_JSON KEY...: `key = value` lines from /proc/sys (what sysctl(8) reads).
read_sysctl() {
  id=$1 file=$2 cmd_json=$3
  shift 3
  : > "$errf"
  t0=$(now_ms)
  total=0
  bad=0
  for key in "$@"; do
    total=$((total + 1))
    path="/proc/sys/$(printf '%s' "$key" | tr . /)"
    # cat, not the `read` builtin: shells read byte by byte, and the kernel's proc_dointvec answers a read at a
    # non-zero offset with EOF, so `read` gets only the first digit (262144 -> "2").
    if value=$(cat "$path" 2> /dev/null); then
      printf '%s = %s\n' "$key" "$value"
    else
      bad=$((bad + 1))
      printf '%s: ENOENT\n' "$path" >> "$errf"
    fi
  done > "$dir/$file"
  t1=$(now_ms)
  if [ "$bad" -eq "$total" ]; then
    record "$id" "$cmd_json" 1 $((t1 - t0)) "$file" 'no key could be read'
  else
    record "$id" "$cmd_json" 0 $((t1 - t0)) "$file" ''
  fi
  progress "read /proc/sys ($((total - bad))/$total keys, $((t1 - t0)) ms)"
}

# read_lists ID FILE COMMAND_JSON DIR ABSENT_NOTE: every file of DIR (/proc/net/xt_recent, one file per list) as
# a line `# list NAME` then the file's lines (src/collect/xt-recent.ts). The glob order (names, then .names,
# then ..names; strcmp under LC_ALL=C) is the order knetdbg collect writes. Only cat reads the files: writing
# to them changes the lists. An absent DIR means the module is not loaded: an empty file and a note, no error.
read_lists() {
  id=$1 file=$2 cmd_json=$3 src=$4 absent=$5
  : > "$errf"
  : > "$dir/$file"
  t0=$(now_ms)
  if [ ! -d "$src" ]; then
    printf '%s: %s\n' "$src" "$absent" > "$errf"
    record "$id" "$cmd_json" 0 $(($(now_ms) - t0)) "$file" ''
    progress "read $src ($absent)"
    return
  fi
  total=0
  bad=0
  for f in "$src"/* "$src"/.[!.]* "$src"/..?*; do
    # An unmatched pattern stays as itself.
    [ -e "$f" ] || [ -L "$f" ] || continue
    total=$((total + 1))
    # $(cat) drops the final newline, printf puts it back; kernel lines never end in blank lines.
    if body=$(cat "$f" 2>> "$errf"); then
      printf '# list %s\n' "${f##*/}"
      [ -n "$body" ] && printf '%s\n' "$body"
    else
      bad=$((bad + 1))
    fi
  done >> "$dir/$file"
  t1=$(now_ms)
  if [ "$total" -gt 0 ] && [ "$bad" -eq "$total" ]; then
    record "$id" "$cmd_json" 1 $((t1 - t0)) "$file" 'no list could be read'
  else
    record "$id" "$cmd_json" 0 $((t1 - t0)) "$file" ''
  fi
  progress "read $src ($((total - bad))/$total lists, $((t1 - t0)) ms)"
}

# version TOOL ARGV...: first output line into meta.json toolVersions.
versions=
version() {
  tool=$1
  shift
  command -v "$1" > /dev/null 2>&1 || return 0
  v=$("$@" < /dev/null 2>&1 | first_line)
  [ -n "$v" ] || return 0
  [ -n "$versions" ] && versions="$versions, "
  versions="$versions\"$tool\": $(json_value "$v")"
}

# Pods, as src/collect/pods.ts captures them (same ids and files; knetdbg rebuilds the pod list from these):
# the runtime's sandboxes, each READY sandbox's inspectp, the node's links, the CNI result cache and the
# /var/log/pods names. The per-pod `nsenter ... ip` listings of pods.ts are not taken here; the pod list then
# relies on crictl's CNI result and the cache for host interfaces.
collect_pods() {
  run_source crictl-pods crictl-pods.json 30 '["crictl","pods","-o","json"]' crictl pods -o json
  if command -v crictl > /dev/null 2>&1; then
    for sandbox in $(crictl pods -q --state ready 2> /dev/null < /dev/null); do
      case $sandbox in *[!0-9a-f]*) continue ;; esac
      run_source "crictl-inspectp-$sandbox" "crictl-inspectp-$sandbox.json" 30 \
        "[\"crictl\",\"inspectp\",\"-o\",\"json\",\"$sandbox\"]" crictl inspectp -o json "$sandbox"
    done
  fi
  run_source pod-host-ip-link pod-host-ip-link.txt 30 '["ip","-o","link"]' ip -o link
  : > "$errf"
  t0=$(now_ms)
  cache="$root/var/lib/cni/results"
  ls_json="[\"ls\",\"-1\",$(json_value "$cache")]"
  if [ -d "$cache" ]; then
    for f in "$cache"/*; do
      [ -f "$f" ] || continue
      cat "$f" > "$dir/cni-cache-$(basename "$f").json" 2>> "$errf"
    done
    record cni-cache "$ls_json" 0 $(($(now_ms) - t0)) '' ''
  else
    record cni-cache "$ls_json" null $(($(now_ms) - t0)) '' 'ENOENT'
  fi
  : > "$errf"
  t0=$(now_ms)
  logs="$root/var/log/pods"
  ls_json="[\"ls\",\"-1\",$(json_value "$logs")]"
  if [ -d "$logs" ]; then
    ls -1 "$logs" > "$dir/pod-log-dirs.txt" 2> "$errf"
    record pod-log-dirs "$ls_json" 0 $(($(now_ms) - t0)) pod-log-dirs.txt ''
  else
    record pod-log-dirs "$ls_json" null $(($(now_ms) - t0)) '' 'ENOENT'
  fi
  progress "pods: runtime, links, CNI cache and log folders captured"
}

captured_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
progress "collecting into $out"

# @@VERSIONS@@

# @@SOURCES@@

collect_pods

{
  printf '{\n  "format": "knetdbg-dump",\n  "formatVersion": 1,\n'
  [ -n "$host" ] && printf '  "hostname": %s,\n' "$(json_value "$host")"
  printf '  "capturedAt": "%s",\n' "$captured_at"
  [ -n "$kernel" ] && printf '  "kernel": %s,\n' "$(json_value "$kernel")"
  printf '  "tool": {"name": "knetdbg-collect.sh", "version": "@@VERSION@@"},\n'
  printf '  "toolVersions": {%s},\n' "$versions"
  printf '  "sources": [\n'
  cat "$records"
  printf '\n  ]\n}\n'
} > "$dir/meta.json"

case $mode in
  folder)
    progress "wrote $dir" ;;
  stdout)
    (cd "$work" && tar -cf - "$name") | gzip -c || exit 1
    progress "wrote the archive to stdout" ;;
  archive)
    if (cd "$work" && tar -cf - "$name") | gzip -c > "$out.partial"; then
      mv "$out.partial" "$out" || exit 1
      progress "wrote $out"
      printf '%s\n' "$out"
    else
      rm -f "$out.partial"
      progress "could not write $out"
      exit 1
    fi ;;
esac
