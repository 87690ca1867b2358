"""Evaluate the reply intent classifier on the labelled sets of bench/intent/.

Runs without Odoo: the pure module ``mail_journey_automation/tools/intent.py``
is loaded by path (the addon's package imports odoo). Prints, for dev,
holdout and all: per-intent precision and recall, overall accuracy, the
confusion matrix, and the exact-match rates of the return date and of the
referral address.

    .venv/bin/python bench/intent_eval.py            # all figures
    .venv/bin/python bench/intent_eval.py --errors   # also list dev's mistakes

The rules are tuned on dev only; --errors never lists the holdout's.
"""

import argparse
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "intent"


def load_classifier():
    """Import tools/intent.py by path, without the addon's package."""
    path = ROOT / "mail_journey_automation" / "tools" / "intent.py"
    spec = importlib.util.spec_from_file_location("journey_intent", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(name):
    """Return the rows of ``bench/intent/<name>.jsonl``."""
    with (DATA / f"{name}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def evaluate(intent, rows):
    """Classify ``rows``; return [(row, prediction)]."""
    return [(row, intent.classify(row["subject"], row["body"], row["headers"])) for row in rows]


def rate(hits, total):
    return f"{hits}/{total} = {hits / total:.3f}" if total else "n/a"


def report(title, intents, results):
    """Print the figures of one set."""
    print(f"\n=== {title}: {len(results)} replies ===")
    gold = [row["intent"] for row, _pred in results]
    pred = [prediction["intent"] for _row, prediction in results]
    pairs = Counter(zip(gold, pred, strict=True))
    correct = sum(g == p for g, p in zip(gold, pred, strict=True))
    print(f"accuracy {rate(correct, len(results))}")
    print(f"{'intent':<14}{'precision':>10}{'recall':>8}{'support':>9}")
    for code in intents:
        predicted = sum(v for (g, p), v in pairs.items() if p == code)
        actual = sum(v for (g, p), v in pairs.items() if g == code)
        hit = pairs[code, code]
        precision = f"{hit / predicted:.3f}" if predicted else "n/a"
        recall = f"{hit / actual:.3f}" if actual else "n/a"
        print(f"{code:<14}{precision:>10}{recall:>8}{actual:>9}")
    short = [code[:6] for code in intents]
    print("confusion (rows: label, columns: predicted)")
    print(" " * 14 + "".join(f"{s:>7}" for s in short))
    for code in intents:
        print(f"{code:<14}" + "".join(f"{pairs[code, other] or '.':>7}" for other in intents))
    dated = [(row, p) for row, p in results if row["return_date"]]
    date_hits = sum(str(p["return_date"]) == row["return_date"] for row, p in dated)
    print(f"return date exact match (labelled dates) {rate(date_hits, len(dated))}")
    referred = [(row, p) for row, p in results if row["referral_email"]]
    ref_hits = sum(p["referral_email"] == row["referral_email"] for row, p in referred)
    print(f"referral exact match (labelled addresses) {rate(ref_hits, len(referred))}")
    return correct / len(results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the dev set's mistakes")
    args = parser.parse_args()
    intent = load_classifier()
    sets = {name: evaluate(intent, load(name)) for name in ("dev", "holdout")}
    if args.errors:
        for row, prediction in sets["dev"]:
            wrong_date = row["return_date"] and str(prediction["return_date"]) != row["return_date"]
            wrong_ref = (
                row["referral_email"] and prediction["referral_email"] != row["referral_email"]
            )
            if prediction["intent"] != row["intent"] or wrong_date or wrong_ref:
                print(
                    f"{row['id']} label={row['intent']}/{row['return_date']}/{row['referral_email']} "
                    f"got={prediction['intent']}/{prediction['return_date']}/{prediction['referral_email']} "
                    f"({prediction['confidence']})"
                )
                print("   ", intent.strip_reply(row["body"]).replace("\n", " | ")[:300])
    for name, results in sets.items():
        report(name, intent.INTENTS, results)
    report("all", intent.INTENTS, sets["dev"] + sets["holdout"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
