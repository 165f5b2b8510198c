#!/usr/bin/python3
"""Independent readers of rcl-server's metrics, for tests/integration/metrics_test.cc.

  metrics_tools.py scrape URL
      GET URL, parse it with prometheus_client's parser (Debian's
      python3-prometheus-client, not RCL's code) and print one line per
      sample: NAME{k="v",...} VALUE TYPE (labels sorted; TYPE is the family's).
  metrics_tools.py query PROMETHEUS_URL EXPR TIMEOUT_S
      Ask a real Prometheus server's HTTP API for EXPR until it has a result
      (at most TIMEOUT_S seconds); print the first result's value.

Exit 0 on success, 1 on failure (the reason on stderr).
"""
import json
import sys
import time
import urllib.parse
import urllib.request


def scrape(url):
    from prometheus_client.parser import text_string_to_metric_families
    text = urllib.request.urlopen(url, timeout=10).read().decode("utf-8")
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
            print("%s{%s} %r %s" % (s.name, labels, float(s.value), family.type))


def query(base, expr, timeout_s):
    deadline = time.time() + float(timeout_s)
    last = "no answer"
    while time.time() < deadline:
        try:
            url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            answer = json.load(urllib.request.urlopen(url, timeout=2))
            result = answer.get("data", {}).get("result", [])
            if answer.get("status") == "success" and result:
                print(result[0]["value"][1])
                return 0
            last = json.dumps(answer)
        except Exception as e:  # not up yet
            last = str(e)
        time.sleep(0.25)
    print("no result for %s within %s s: %s" % (expr, timeout_s, last), file=sys.stderr)
    return 1


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "scrape":
        scrape(sys.argv[2])
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "query":
        return query(sys.argv[2], sys.argv[3], sys.argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
