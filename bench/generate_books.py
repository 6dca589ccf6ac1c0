#!/usr/bin/env python3
"""Writes N books in the sample's shape as a seed file, reproducibly.

The shape of ../shared/data/sample-books.json at scale: a few thousand authors (first and last
names drawn from fixed lists), titles of 2 to 5 words from a vocabulary of a few thousand words
(some common, such as "winter", so substring searches match), years 1800 to 2025 (a few books
without one), every score from -1 to 10 and both read values. Ids are "1".."N", as in the sample.
The file has rawdata/book-data-to-insert.js's form (`db.books.insertMany([...]);`), so it is a
SEED_FILE for the embedded store and a mongosh script for MongoDB.

Usage: bench/generate_books.py COUNT OUTPUT [--seed S]
"""
import argparse
import json
import random

SYLLABLES = ["al", "an", "ar", "be", "bo", "ca", "da", "de", "el", "en", "fa", "ga", "ha", "in", "is",
             "ka", "la", "li", "lo", "ma", "mi", "na", "no", "or", "ra", "re", "ri", "sa", "se", "ta",
             "te", "th", "to", "ul", "un", "va", "ve", "wi", "yo", "za"]
COMMON = ["winter", "night", "sea", "star", "world", "last", "man", "city", "dark", "light", "time",
          "war", "earth", "end", "road", "sky", "fire", "stone", "river", "glass"]


def word(rng):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=1826)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    vocabulary = COMMON + sorted({word(rng) for _ in range(4000)})
    firsts = sorted({word(rng).capitalize() for _ in range(120)})
    lasts = sorted({word(rng).capitalize() for _ in range(60)})
    authors = [f"{f} {l}" for f in firsts for l in lasts][:4000]
    with open(args.output, "w") as out:
        out.write("db.books.insertMany([\n")
        for i in range(1, args.count + 1):
            words = rng.randint(2, 5)
            title = " ".join((rng.choice(COMMON) if rng.random() < 0.05 else rng.choice(vocabulary)) for _ in range(words)).capitalize()
            book = {"id": str(i), "title": title, "author": rng.choice(authors)}
            if rng.random() > 0.01:
                book["year"] = rng.randint(1800, 2025)
            book["score"] = rng.randint(-1, 10)
            book["read"] = rng.random() < 0.5
            out.write(json.dumps(book, ensure_ascii=False, separators=(",", ":")))
            out.write(",\n" if i < args.count else "\n")
        out.write("]);\n")


if __name__ == "__main__":
    main()
