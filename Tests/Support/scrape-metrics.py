"""Scrapes a /metrics URL and parses it with Prometheus's own Python parser (prometheus_client), so the
exposition is checked by an independent reader; prints every sample as JSON:
[{"family": ..., "type": ..., "name": ..., "labels": {...}, "value": ...}, ...]

usage: scrape-metrics.py URL [BEARER_TOKEN]
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main():
    request = urllib.request.Request(sys.argv[1])
    if len(sys.argv) > 2:
        request.add_header("Authorization", f"Bearer {sys.argv[2]}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        content_type = answer.headers.get("Content-Type", "")
        text = answer.read().decode("utf-8")
    if not content_type.startswith("text/plain"):
        sys.exit(f"{sys.argv[1]} answered {content_type!r}, not Prometheus's text format")
    samples = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.append({"family": family.name, "type": family.type, "name": sample.name, "labels": sample.labels, "value": sample.value})
    print(json.dumps(samples))


if __name__ == "__main__":
    main()
