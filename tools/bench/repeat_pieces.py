#!/usr/bin/env python3
"""How much of a JSON Lines corpus repeats below the string level, and how far back.

    python3 tools/bench/repeat_pieces.py CORPUS.jsonl

Cuts each line at content-defined boundaries (a boundary where a hash of three bytes near the
position is 0 mod 97, pieces of at least 64 bytes), and sorts the bytes of each piece seen before
by where it was last seen: in another run, in the same run within 64 KiB (where LZ4 finds it), or
further back in the same run. A model for deciding whether deduplication below whole strings
would leave LZ4 HC much less to compress (tools/bench/README.md, session 25). Pure Python: about
two minutes for the 106 MB corpus.
"""
import sys


def main(path):
    seen = {}
    run_bytes = {}
    total = other_run = same_run_far = same_run_near = 0
    with open(path, "rb") as f:
        for line in f:
            total += len(line)
            at = line.find(b'"run":"') + 7
            run = line[at:line.find(b'"', at)]
            base = run_bytes.get(run, 0)
            run_bytes[run] = base + len(line)
            bounds, last = [], 0
            for i in range(16, len(line)):
                if (line[i] * 31 + line[i - 3] * 7 + line[i - 11]) % 97 == 0 and i - last >= 64:
                    bounds.append(i)
                    last = i
            bounds.append(len(line))
            start = 0
            for end in bounds:
                piece = hash(line[start:end])
                if piece in seen:
                    where, position = seen[piece]
                    if where != run:
                        other_run += end - start
                    elif base + start - position > 65536:
                        same_run_far += end - start
                    else:
                        same_run_near += end - start
                seen[piece] = (run, base + start)
                start = end
    print(f"{total} bytes; repeated pieces last seen in another run: {other_run}; "
          f"in the same run within 64 KiB: {same_run_near}; further back in the same run: {same_run_far}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
