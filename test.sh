#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. installs the reference peers the tests talk to (Debian packages) when they are missing;
#   2. builds everything (warnings are errors; the build also installs the console's npm libraries);
#   3. checks formatting (dotnet format leaves nothing to change);
#   4. runs every test project, one after another;
#   5. prints the totals over all projects on one line, "N passed, N failed[, N skipped]", and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

# package -> a file it installs (the check that it is there)
peers=(
  "chromium:/usr/bin/chromium"
  "fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
  "snmpd:/usr/sbin/snmpd"
  "snmp:/usr/bin/snmpbulkwalk"
  "mosquitto:/usr/sbin/mosquitto"
  "mosquitto-clients:/usr/bin/mosquitto_pub"
  "python3-pymodbus:/usr/lib/python3/dist-packages/pymodbus/__init__.py"
  "mbpoll:/usr/bin/mbpoll"
  "influxdb:/usr/bin/influxd"
  "victoria-metrics:/usr/bin/victoria-metrics"
  "curl:/usr/bin/curl"
  "snmpsim:/usr/bin/snmpsimd"
  "prometheus:/usr/bin/promtool"
  "prometheus-snmp-exporter:/usr/bin/prometheus-snmp-exporter"
  "python3-aiosmtpd:/usr/bin/aiosmtpd"
  "postgresql:/usr/lib/postgresql/15/bin/initdb"
  "redis-server:/usr/bin/redis-server"
)
missing=()
for peer in "${peers[@]}"; do
  [ -e "${peer#*:}" ] || missing+=("${peer%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing reference peers: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}" >/dev/null
  for peer in "${peers[@]}"; do
    if [ ! -e "${peer#*:}" ]; then
      echo "Missing reference peer: package ${peer%%:*} (${peer#*:}) could not be installed." >&2
      if [ "${CI:-}" = "true" ]; then echo "0 passed, 1 failed"; exit 1; fi
    fi
  done
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
failed_steps=0
echo "== build"
if ! dotnet build Monitoring.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== web modules"
# the console's modules: no circular import, test hooks only behind the test flag (web/scripts/check-imports.mjs)
if ! node web/scripts/check-imports.mjs; then
  failed_steps=$((failed_steps + 1))
fi

echo "== web lint"
# ESLint over web/ (flat config web/eslint.config.js, installed by the build's npm ci): zero warnings
if ! (cd web && npx --no-install eslint --max-warnings 0 .); then
  echo "ESLint found problems in web/ (run: cd web && npm run lint)" >&2
  failed_steps=$((failed_steps + 1))
fi

echo "== format"
if ! dotnet format Monitoring.sln --verify-no-changes --no-restore -v quiet; then
  echo "dotnet format found files to change (run: dotnet format Monitoring.sln)" >&2
  failed_steps=$((failed_steps + 1))
fi

passed=0 failed=0 skipped=0
for project in tests/*.Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" -- RunConfiguration.TestSessionTimeout=900000
  trx="$results/$name.trx"
  if [ ! -f "$trx" ]; then
    echo "$name: no results (the test host crashed or did not start)" >&2
    failed=$((failed + 1))
    continue
  fi
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$(get total) executed=$(get executed) p=$(get passed) f=$(get failed) e=$(get error) t=$(get timeout) a=$(get aborted)
  passed=$((passed + p))
  failed=$((failed + f + e + t + a))
  skipped=$((skipped + total - executed))
done

failed=$((failed + failed_steps))
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo
echo "$line"
[ "$failed" -eq 0 ]
