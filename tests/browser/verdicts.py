"""What the host-side browser tests share: PASS/FAIL lines with a count of
the failures, and the pattern source's --input-log (JSON lines) read back."""
import json
import os


class Verdicts:
    def __init__(self):
        self.fails = 0

    def check(self, cond, what):
        print(("PASS " if cond else "FAIL ") + what, flush=True)
        self.fails += 0 if cond else 1
        return cond


def events(path):
    """The input log's events so far ([] before the file exists)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
