#!/usr/bin/env bash
# usage: run.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR CPACK VERSION
#
# The Debian packages, end to end, without installing anything on this machine: cpack makes them from the build
# tree; dpkg-deb shows their control fields, files and maintainer scripts, and the postinst runs with stand-ins
# for the commands it calls; the packages are unpacked into a scratch root, where systemd-analyze checks the unit,
# systemd-sysusers makes the user from the package's sysusers.d entry, a host program is built against the library
# package (CMake and pkg-config, C++ and the C ABI), and the packaged jppd, started with the packaged configuration
# file as the unit would start it, answers /healthz, its system calls within the unit's filter.
set -euo pipefail
build=$(realpath "$1") source=$(realpath "$2") scratch=$(realpath -m "$3") cpack=$4 version=$5

fail() { echo "FAIL: $*" >&2; exit 1; }
need() {  # need COMMAND PACKAGE: the test cannot run without it
  command -v "$1" > /dev/null || fail "$1 is missing: apt-get install $2 (scripts/deps.sh installs it)"
}
need dpkg-deb dpkg
need dpkg-shlibdeps dpkg-dev
need systemd-analyze systemd
need systemd-sysusers systemd
need curl curl
need pkg-config pkg-config
need c++ g++
need cc gcc
need zcat gzip
need python3 python3
need strace strace

rm -rf "$scratch"
mkdir -p "$scratch"
out=$scratch/out root=$scratch/root ctl=$scratch/control
# jppd's PID and that of the strace it runs under, to stop on any exit (strace first lets go of jppd, which then
# runs on: jppd is stopped first).
jppd_pid="" strace_pid=""
cleanup() {
  if [ -n "$jppd_pid" ] && kill -0 "$jppd_pid" 2> /dev/null; then kill -KILL "$jppd_pid" 2> /dev/null || true; fi
  if [ -n "$strace_pid" ] && kill -0 "$strace_pid" 2> /dev/null; then kill -KILL "$strace_pid" 2> /dev/null || true; fi
}
trap cleanup EXIT

# Whether each of the lines after the first argument is in the file $1 (fixed strings, whole lines).
has_lines() {
  local file=$1; shift
  local line
  for line in "$@"; do
    grep -qxF -- "$line" "$file" || fail "$(basename "$file"): no line '$line'"
  done
}
# field DEB NAME: a control field of a package.
field() { dpkg-deb -f "$1" "$2"; }
# expect_field DEB NAME REGEX
expect_field() {
  local value
  value=$(field "$1" "$2")
  [[ $value =~ $3 ]] || fail "$(basename "$1"): $2 is '$value', expected to match /$3/"
}

echo "== cpack"
"$cpack" --config "$build/CPackConfig.cmake" -B "$out" > "$scratch/cpack.log" 2>&1 \
  || { cat "$scratch/cpack.log"; fail "cpack failed"; }
# Debian's file names: NAME_VERSION-REVISION_ARCH.deb; exactly the two packages.
arch=$(dpkg --print-architecture)
jppd_deb=$(echo "$out"/jppd_"$version"-*_"$arch".deb)
dev_deb=$(echo "$out"/libjpp-dev_"$version"-*_"$arch".deb)
[ -f "$jppd_deb" ] || fail "no jppd_${version}-*_${arch}.deb in $out: $(ls "$out")"
[ -f "$dev_deb" ] || fail "no libjpp-dev_${version}-*_${arch}.deb in $out: $(ls "$out")"
[ "$(ls "$out"/*.deb | wc -l)" -eq 2 ] || fail "expected two packages, got: $(ls "$out"/*.deb)"
ls -l "$out"/*.deb

echo "== jppd: control fields"
expect_field "$jppd_deb" Package '^jppd$'
expect_field "$jppd_deb" Version "^${version//./\\.}-[0-9]+$"
expect_field "$jppd_deb" Architecture "^$arch$"
expect_field "$jppd_deb" Section '^net$'
expect_field "$jppd_deb" Maintainer '^[^<>]+ <[^<>@ ]+@[^<>@ ]+>$'
expect_field "$jppd_deb" Description '^Bitcoin Cash payment invoice daemon'
# The user comes from systemd-sysusers or adduser; the libraries from dpkg-shlibdeps (libc6, libcurl, ...).
depends=$(field "$jppd_deb" Depends)
for dep in 'systemd-sysusers | adduser' 'libc6 (>=' 'libcurl4 (>=' 'libssl3 (>=' 'libsqlite3-0 (>=' 'libstdc++6 (>='; do
  [[ $depends == *"$dep"* ]] || fail "jppd's Depends lacks '$dep': $depends"
done

echo "== jppd: files"
dpkg-deb -c "$jppd_deb" > "$scratch/jppd.contents"
# mode owner path, from dpkg-deb's listing (mode, owner/group, size, date, time, path).
awk '{print $1, $2, $6}' "$scratch/jppd.contents" > "$scratch/jppd.files"
has_lines "$scratch/jppd.files" \
  "-rwxr-xr-x root/root ./usr/bin/jppd" \
  "-rw-r--r-- root/root ./lib/systemd/system/jppd.service" \
  "-rw-r----- root/root ./etc/jppd/jppd.conf" \
  "-rw-r--r-- root/root ./usr/lib/sysusers.d/jppd.conf" \
  "-rw-r--r-- root/root ./usr/share/man/man1/jppd.1.gz" \
  "-rw-r--r-- root/root ./usr/share/doc/jppd/copyright" \
  "-rw-r--r-- root/root ./usr/share/doc/jppd/README.md" \
  "-rw-r--r-- root/root ./usr/share/doc/jppd/packaging.md"
# Nothing of the library in the daemon's package, nothing of a build tree.
if grep -E '\./usr/include|/cmake/|/pkgconfig/|\.a$|\.so|CMakeFiles' "$scratch/jppd.files"; then
  fail "the jppd package holds files that are not its own (above)"
fi

echo "== jppd: maintainer scripts and conffiles"
dpkg-deb -e "$jppd_deb" "$ctl"
has_lines "$ctl/conffiles" /etc/jppd/jppd.conf
[ "$(wc -l < "$ctl/conffiles")" -eq 1 ] || fail "conffiles lists more than /etc/jppd/jppd.conf: $(cat "$ctl/conffiles")"
for script in postinst prerm postrm; do
  [ -x "$ctl/$script" ] || fail "the $script script is missing or not executable"
  sh -n "$ctl/$script" || fail "the $script script is not valid sh"
done
# The postinst run for real, with every command it calls replaced by a stub that writes down how it was called
# (PATH holds the stubs alone), on each path it can take: it makes the user with systemd-sysusers from the
# package's sysusers.d file, with adduser where that is missing, with useradd where both are; not when the user
# exists; and gives the configuration file to root and the group jppd, mode 0640, unless dpkg-statoverride has it.
stubs=$scratch/stubs
mkdir -p "$stubs"
cat > "$stubs/stub" << 'STUB'
#!/bin/sh
echo "${0##*/} $*" >> "$STUB_LOG"
case ${0##*/} in
  getent) exit "${GETENT_STATUS:-2}" ;;
  dpkg-statoverride) exit "${STATOVERRIDE_STATUS:-1}" ;;
esac
exit 0
STUB
chmod +x "$stubs/stub"
# run_postinst NAME [VAR=VALUE...]: the postinst's configure, with stubs for the commands it may call but those
# WITHOUT names; what they were asked goes to $scratch/postinst-NAME.log.
run_postinst() {
  local name=$1; shift
  rm -rf "$stubs/bin" && mkdir "$stubs/bin"
  for command in getent systemd-sysusers adduser useradd chown chmod dpkg-statoverride systemctl; do
    [[ " ${WITHOUT:-} " == *" $command "* ]] || ln -s ../stub "$stubs/bin/$command"
  done
  : > "$scratch/postinst-$name.log"
  env -i PATH="$stubs/bin" STUB_LOG="$scratch/postinst-$name.log" "$@" "$ctl/postinst" configure "" \
    || fail "the postinst failed ($name)"
}
run_postinst sysusers
has_lines "$scratch/postinst-sysusers.log" "getent passwd jppd" "systemd-sysusers /usr/lib/sysusers.d/jppd.conf" \
  "chown root:jppd /etc/jppd/jppd.conf" "chmod 0640 /etc/jppd/jppd.conf"
if grep -qE '^(adduser|useradd) ' "$scratch/postinst-sysusers.log"; then fail "the postinst made the user twice"; fi
WITHOUT=systemd-sysusers run_postinst adduser
has_lines "$scratch/postinst-adduser.log" "chown root:jppd /etc/jppd/jppd.conf" "adduser --system --group --quiet \
--home /var/lib/jppd --no-create-home --gecos jppd payment invoice daemon --shell /usr/sbin/nologin jppd"
WITHOUT="systemd-sysusers adduser" run_postinst useradd
has_lines "$scratch/postinst-useradd.log" "useradd --system --user-group --home-dir /var/lib/jppd --no-create-home \
--comment jppd payment invoice daemon --shell /usr/sbin/nologin jppd"
run_postinst user-exists GETENT_STATUS=0
if grep -qE '^(systemd-sysusers|adduser|useradd) ' "$scratch/postinst-user-exists.log"; then
  fail "the postinst made a user that existed: $(cat "$scratch/postinst-user-exists.log")"
fi
run_postinst statoverride STATOVERRIDE_STATUS=0
if grep -qE '^(chown|chmod) ' "$scratch/postinst-statoverride.log"; then
  fail "the postinst changed a file dpkg-statoverride has: $(cat "$scratch/postinst-statoverride.log")"
fi

echo "== libjpp-dev: control fields and files"
expect_field "$dev_deb" Package '^libjpp-dev$'
expect_field "$dev_deb" Version "^${version//./\\.}-[0-9]+$"
expect_field "$dev_deb" Section '^libdevel$'
expect_field "$dev_deb" Description '^Bitcoin Cash payment invoice library'
depends=$(field "$dev_deb" Depends)
for dep in libssl-dev libsecp256k1-dev libsqlitecpp-dev libsqlite3-dev pkg-config 'libc6 (>='; do
  [[ $depends == *"$dep"* ]] || fail "libjpp-dev's Depends lacks '$dep': $depends"
done
dpkg-deb -c "$dev_deb" > "$scratch/dev.contents"
awk '{print $6}' "$scratch/dev.contents" > "$scratch/dev.files"
# The library folder: /usr/lib, or Debian's multiarch /usr/lib/<triplet> when configured with the prefix /usr.
libdir=$(sed -n 's|^\./\(usr/lib\(/[a-z0-9_-]*\)\{0,1\}\)/pkgconfig/jpp\.pc$|\1|p' "$scratch/dev.files")
[ -n "$libdir" ] || fail "libjpp-dev has no pkgconfig/jpp.pc in /usr/lib or a folder of it"
has_lines "$scratch/dev.files" ./usr/include/jpp.h ./usr/include/jpp/invoice.hpp ./usr/include/jpp/transaction.hpp \
  ./$libdir/libjpp.a ./$libdir/cmake/jpp/jppConfig.cmake ./$libdir/cmake/jpp/jppConfigVersion.cmake \
  ./$libdir/cmake/jpp/jppTargets.cmake ./$libdir/pkgconfig/jpp.pc "./$libdir/libjpp_c.so.$version" \
  ./usr/share/doc/libjpp-dev/copyright
grep -q " ./$libdir/libjpp_c.so -> libjpp_c.so" "$scratch/dev.contents" || fail "libjpp-dev lacks the libjpp_c.so link"
if grep -E 'bin/|systemd|/etc/' "$scratch/dev.files"; then fail "libjpp-dev holds the daemon's files (above)"; fi

echo "== unpacked into $root"
dpkg-deb -x "$jppd_deb" "$root"
dpkg-deb -x "$dev_deb" "$root"
unit=$root/lib/systemd/system/jppd.service
# Stripped of debugging information, as Debian's packages are (the static library keeps its symbols).
need readelf binutils
for binary in usr/bin/jppd "$libdir/libjpp_c.so.$version" "$libdir/libjpp.a"; do
  if readelf -S -W "$root/$binary" | grep -q '\.debug_info'; then
    fail "/$binary was packaged with debugging information"
  fi
done

echo "== the unit"
# The directives the service is built on (docs/packaging.md), one by one.
has_lines "$unit" "User=jppd" "DynamicUser=no" "StateDirectory=jppd" "ConfigurationDirectory=jppd" \
  "ExecStart=/usr/bin/jppd --config /etc/jppd/jppd.conf" 'ExecReload=/bin/kill -HUP $MAINPID' "Restart=on-failure" \
  "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" "PrivateDevices=yes" \
  "ProtectKernelTunables=yes" "ProtectKernelModules=yes" "ProtectKernelLogs=yes" "ProtectControlGroups=yes" \
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "RestrictNamespaces=yes" "LockPersonality=yes" \
  "MemoryDenyWriteExecute=yes" "RestrictRealtime=yes" "RestrictSUIDSGID=yes" "SystemCallFilter=@system-service" \
  "SystemCallArchitectures=native" "CapabilityBoundingSet=" "UMask=0077" "LimitNOFILE=65536"
# systemd-analyze verify loads the unit as systemd would and checks every directive, the units it names and its
# commands. Its --root= would look for the units it names (network-online.target, multi-user.target) inside the
# scratch root too, where there are none; so the unit is verified from a copy in a folder of its own, with
# ExecStart (and only it) pointed at the unpacked binary: the command systemd would run must be there and be
# executable. Whatever verify says (it warns on unknown or misspelt directives and exits 0) fails the test.
mkdir -p "$scratch/verify"
sed "s|^ExecStart=/usr/bin/jppd |ExecStart=$root/usr/bin/jppd |" "$unit" > "$scratch/verify/jppd.service"
grep -qxF "ExecStart=$root/usr/bin/jppd --config /etc/jppd/jppd.conf" "$scratch/verify/jppd.service" \
  || fail "ExecStart could not be pointed at the unpacked binary"
if ! SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$scratch/verify/jppd.service" \
    > "$scratch/verify.log" 2>&1; then
  cat "$scratch/verify.log"; fail "systemd-analyze verify failed"
fi
if [ -s "$scratch/verify.log" ]; then cat "$scratch/verify.log"; fail "systemd-analyze verify complained"; fi
echo "systemd-analyze verify: no complaints"
# The sandbox as systemd rates it (0 is best, 10 worst); the unit above scores well under 2.
systemd-analyze security --offline=true --threshold=20 "$scratch/verify/jppd.service" > "$scratch/security.log" 2>&1 \
  || { cat "$scratch/security.log"; fail "systemd-analyze security rates the unit's exposure above 2.0"; }
tail -n 1 "$scratch/security.log"

echo "== the user, from the package's sysusers.d entry"
# systemd-sysusers with --root makes the user in the scratch root's /etc/passwd, as the postinst does in /.
mkdir -p "$root/etc"
systemd-sysusers --root="$root" "$root/usr/lib/sysusers.d/jppd.conf"
grep -E '^jppd:x:[0-9]+:[0-9]+:jppd payment invoice daemon:/var/lib/jppd:/usr/sbin/nologin$' "$root/etc/passwd" \
  > /dev/null || fail "systemd-sysusers made no system user jppd: $(cat "$root/etc/passwd" 2> /dev/null)"
grep -qE '^jppd:x:[0-9]+:' "$root/etc/group" || fail "systemd-sysusers made no group jppd"
uid=$(awk -F: '$1 == "jppd" {print $3}' "$root/etc/passwd")
[ "$uid" -lt 1000 ] || fail "jppd's uid $uid is not a system uid"

echo "== the man page"
zcat "$root/usr/share/man/man1/jppd.1.gz" > "$scratch/jppd.1"
grep -q '^\.TH JPPD "1"' "$scratch/jppd.1" || fail "jppd.1 has no .TH JPPD \"1\" header"
for section in NAME SYNOPSIS DESCRIPTION FILES '"SEE ALSO"'; do
  grep -q "^\.SH $section" "$scratch/jppd.1" || fail "jppd.1 has no $section section"
done
grep -qF "$version" "$scratch/jppd.1" || fail "jppd.1 does not name version $version"
grep -qF '\-\-node\-rpc' "$scratch/jppd.1" || fail "jppd.1 does not list --node-rpc"
grep -qF '/etc/jppd/jppd.conf' "$scratch/jppd.1" || fail "jppd.1 does not name the configuration file"
# It typesets without a warning.
need groff groff-base
groff -man -ww -z -Tutf8 "$scratch/jppd.1" > "$scratch/groff.log" 2>&1 || { cat "$scratch/groff.log"; fail "groff failed"; }
if [ -s "$scratch/groff.log" ]; then cat "$scratch/groff.log"; fail "groff warns about jppd.1"; fi

echo "== the configuration file"
# A free loopback port for jppd, here and below.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf=$root/etc/jppd/jppd.conf
help=$("$root/usr/bin/jppd" --help)
# Every setting, active or left commented ('#name = value'), is one of jppd's options.
grep -E '^#?[a-z][a-z0-9-]* = ' "$conf" | sed -E 's/^#?([a-z0-9-]+) = .*/\1/' > "$scratch/conf.names"
[ "$(wc -l < "$scratch/conf.names")" -ge 10 ] || fail "the configuration file names fewer settings than expected"
while read -r name; do
  grep -qE -- "--$name( |,|$)" <<< "$help" || fail "jppd.conf sets '$name', which is not an option of jppd"
done < "$scratch/conf.names"
has_lines "$conf" 'listen = "127.0.0.1:8000"' 'db = "/var/lib/jppd/jppd.sqlite3"' 'network = "main"'
# A configuration error is not retried by the unit (RestartPreventExitStatus=): the file as shipped, which names
# no node; a value jppd refuses; a configuration file that is not there.
read -r -a no_restart <<< "$(sed -n 's/^RestartPreventExitStatus=//p' "$unit")"
[ "${#no_restart[@]}" -gt 0 ] || fail "the unit has no RestartPreventExitStatus="
for case in "--config $conf" "--config $conf --log-level loud" "--config $scratch/missing.conf"; do
  code=0
  # shellcheck disable=SC2086
  timeout 10 "$root/usr/bin/jppd" $case --db "$scratch/unused.sqlite3" --listen "127.0.0.1:$port" > /dev/null 2>&1 \
    || code=$?
  [ "$code" -ne 0 ] && [ "$code" -ne 124 ] || fail "jppd $case started"
  [[ " ${no_restart[*]} " == *" $code "* ]] \
    || fail "jppd $case exits $code, which RestartPreventExitStatus= does not name: systemd would restart it in a loop"
done

echo "== the library package: a host program built against $root"
# The CMake package, from the scratch root's /usr.
cmake -S "$source/tests/consumer/project" -B "$scratch/consumer-cmake" -DCMAKE_PREFIX_PATH="$root/usr" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF > "$scratch/consumer-configure.log" 2>&1 \
  || { cat "$scratch/consumer-configure.log"; fail "find_package(jpp) against the package failed"; }
grep -q "jpp_DIR:PATH=$root/$libdir/cmake/jpp" "$scratch/consumer-cmake/CMakeCache.txt" \
  || fail "find_package(jpp) found another jpp: $(grep jpp_DIR "$scratch/consumer-cmake/CMakeCache.txt")"
cmake --build "$scratch/consumer-cmake" > "$scratch/consumer-build.log" 2>&1 \
  || { cat "$scratch/consumer-build.log"; fail "the find_package(jpp) consumer did not build"; }
"$scratch/consumer-cmake/consumer"
# pkg-config: the .pc file's prefix is relative to where it lies, so it names the scratch root.
export PKG_CONFIG_PATH=$root/$libdir/pkgconfig
[ "$(pkg-config --modversion jpp)" = "$version" ] || fail "pkg-config jpp says version $(pkg-config --modversion jpp)"
include_dir=$(pkg-config --cflags-only-I jpp | sed 's/^ *-I//; s/ *$//')
[ "$(realpath "$include_dir")" = "$root/usr/include" ] \
  || fail "pkg-config jpp's headers are not the package's: $include_dir"
# shellcheck disable=SC2046
c++ -std=c++20 "$source/tests/consumer/project/main.cpp" -o "$scratch/consumer-pkgconfig" \
  $(pkg-config --cflags jpp) $(pkg-config --libs --static jpp)
"$scratch/consumer-pkgconfig"
# The C ABI: the C example, against the packaged jpp.h and libjpp_c.so.
cc -std=c99 "$source/examples/c/offline_payment.c" -o "$scratch/offline_payment_c" -I"$root/usr/include" \
  -L"$root/$libdir" -ljpp_c
LD_LIBRARY_PATH=$root/$libdir "$scratch/offline_payment_c" > "$scratch/offline_payment_c.log"
grep -q "paid" "$scratch/offline_payment_c.log" \
  || fail "the C example against libjpp_c.so did not pay: $(cat "$scratch/offline_payment_c.log")"
LD_LIBRARY_PATH=$root/$libdir ldd "$scratch/offline_payment_c" \
  | grep -q "libjpp_c.so.0 => $root/$libdir/libjpp_c.so.0" \
  || fail "the C example did not load the packaged libjpp_c.so: $(ldd "$scratch/offline_payment_c")"
echo "C ABI: $(head -n 1 "$scratch/offline_payment_c.log")"

echo "== the packaged jppd with the packaged configuration, inside the unit's sandbox rules"
# Everything from /etc/jppd/jppd.conf but the database and the address, which go to the scratch folder and a
# free loopback port; --dev-mode stands in for the node the file leaves for the operator to name. jppd runs
# under strace, so that what it does at start, on requests and at stop can be held against the unit's
# SystemCallFilter=, RestrictAddressFamilies= and MemoryDenyWriteExecute= (sandbox_check.py): systemd would kill
# it for a call outside the filter, which nothing else here would show.
# As the unit runs it: as an unprivileged user whose group may read the file (root here, the test takes nobody,
# as the postinst gives the file to jppd's group), without capabilities or a way to gain privileges, umask 0077,
# writing only to its state folder. (As root, SQLite would also chown its journal files, a call the unit forbids
# and the service, not being root, never makes.)
mkdir -p "$scratch/state"
as_service=()
if [ "$(id -u)" -eq 0 ]; then
  need setpriv util-linux
  chgrp nogroup "$conf"
  chown nobody:nogroup "$scratch/state"
  chmod 0711 "$scratch" "$root" "$root/etc" "$root/etc/jppd"
  as_service=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all
              --no-new-privs)
fi
(umask 0077; exec "${as_service[@]}" strace -f -qq -o "$scratch/state/jppd.strace" "$root/usr/bin/jppd" \
  --config "$conf" --db "$scratch/state/jppd.sqlite3" --listen "127.0.0.1:$port" --dev-mode) \
  > "$scratch/jppd.log" 2>&1 &
strace_pid=$!
# jppd is strace's child; it is stopped by its own PID.
for _ in $(seq 1 100); do
  jppd_pid=$(cat /proc/"$strace_pid"/task/*/children 2> /dev/null | tr -s ' ' '\n' | head -n 1 || true)
  [ -n "$jppd_pid" ] && [ "$(cat /proc/"$jppd_pid"/comm 2> /dev/null)" = jppd ] && break
  jppd_pid=""
  sleep 0.1
done
[ -n "$jppd_pid" ] || { cat "$scratch/jppd.log"; fail "jppd did not start under strace"; }
status=""
for _ in $(seq 1 100); do
  kill -0 "$strace_pid" 2> /dev/null || { cat "$scratch/jppd.log"; fail "jppd exited at start"; }
  status=$(curl -s -o "$scratch/healthz.json" -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
  [ "$status" = 200 ] && break
  sleep 0.1
done
[ "$status" = 200 ] || { cat "$scratch/jppd.log"; fail "GET /healthz answered '$status', not 200, within 10 s"; }
echo "GET /healthz: 200 $(cat "$scratch/healthz.json")"
# An invoice made and read back: the database written through the sandbox's rules too.
curl -s -f -o "$scratch/invoice.json" -X POST "http://127.0.0.1:$port/jpp/invoices/" \
  -H 'Content-Type: application/json' \
  -d '{"outputs":[{"address":"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a","amount":10000}]}' \
  || fail "creating an invoice failed"
invoice_id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["payment_id"])' "$scratch/invoice.json")
curl -s -f -o /dev/null "http://127.0.0.1:$port/jpp/invoices/$invoice_id/" || fail "reading the invoice back failed"
# The file's settings were read: its network, and its log level (info logs each request).
grep -q "network main" "$scratch/jppd.log" \
  || fail "jppd did not run on the configured network: $(cat "$scratch/jppd.log")"
grep -q "healthz" "$scratch/jppd.log" || fail "jppd did not log the request at the configured log level"
[ "$(stat -c %a "$scratch/state/jppd.sqlite3")" = 600 ] || fail "the database is not readable by its owner alone"
kill -TERM "$jppd_pid"
code=0
wait "$strace_pid" || code=$?
jppd_pid=""
[ "$code" -eq 0 ] || { cat "$scratch/jppd.log"; fail "jppd exited $code on SIGTERM"; }
grep -q "stopped" "$scratch/jppd.log" || fail "jppd did not stop gracefully"
echo "jppd stopped by PID with SIGTERM: exit 0"
python3 "$source/tests/package/sandbox_check.py" "$unit" "$scratch/state/jppd.strace" \
  || fail "jppd did what the unit's sandbox forbids (above)"

echo "all package checks passed"
