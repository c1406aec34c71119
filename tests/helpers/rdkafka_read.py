"""Reads a Kafka topic from the beginning with librdkafka (confluent-kafka), the client inside
ClickHouse's Kafka engine, and prints one JSON line per message.

Usage: rdkafka_read.py BOOTSTRAP TOPIC COUNT TIMEOUT_SECONDS
Stops after COUNT messages or TIMEOUT_SECONDS; exits 3 if fewer than COUNT arrived. A message
librdkafka cannot read (e.g. a batch it cannot decompress) is a consumer error: exit 4, named.
"""
import base64
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError


def main() -> int:
    bootstrap, topic, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"rdkafka-read-{topic}-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            # CRC checks on: a corrupt or badly framed batch must fail here, as it would in ClickHouse
            "check.crcs": True,
        }
    )
    consumer.subscribe([topic])
    got = 0
    deadline = time.monotonic() + timeout
    try:
        while got < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                print(f"librdkafka error on {topic}: {msg.error()}", file=sys.stderr)
                return 4
            key = msg.key()
            print(
                json.dumps(
                    {
                        "partition": msg.partition(),
                        "offset": msg.offset(),
                        "key": None if key is None else key.hex(),
                        "value": base64.b64encode(msg.value() or b"").decode(),
                        "headers": {k: (v or b"").decode("utf-8", "replace") for k, v in (msg.headers() or [])},
                    }
                )
            )
            got += 1
    finally:
        consumer.close()
    if got < count:
        print(f"read {got} of {count} messages from {topic} within {timeout} s", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
