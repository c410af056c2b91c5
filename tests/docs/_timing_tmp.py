import sys, time
import test_docs as t
orig = t.Session.run
def run(self, block):
    s = time.monotonic()
    try:
        orig(self, block)
    finally:
        print(f"TIME {block.where} {block.kind} {time.monotonic()-s:.1f}s")
t.Session.run = run
