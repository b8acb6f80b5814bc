#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (fuzz/corpus/<target>/) from the hand-made cases in
tests/cases. Seeds are named by their SHA-1, as libFuzzer names what it finds, so running this
again adds nothing twice. Usage: python3 scripts/fuzz_seeds.py"""

import hashlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
CORPUS = ROOT / "fuzz" / "corpus"


def seed(target, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def files(rel, pattern):
    return sorted((CASES / rel).rglob(pattern))


def main():
    # slack: the first byte picks the file (0 channels.json, 1 users.json, 2 a day file).
    for case in ["everything", "incidents", "hostile"]:
        for path in files(f"slack/{case}", "*.json"):
            kind = {"channels.json": 0, "users.json": 1}.get(path.name, 2)
            if path.parent.name == case and kind == 2:
                continue  # groups.json and the like are not what the target feeds
            seed("slack", bytes([kind]) + path.read_bytes())
    for path in files("discord/guild", "*.json"):
        seed("discord", path.read_bytes())
    seed("mattermost", (CASES / "mattermost/acme/import.jsonl").read_bytes())
    seed("matrix", (CASES / "matrix/element/export.json").read_bytes())
    for path in files("irc/styles", "*.*log"):
        seed("irc", path.read_bytes())
    seed("campfire", b"\x00" + (CASES / "campfire/api/transcript-2012-04-05.json").read_bytes())
    for path in files("campfire/export", "transcript.xml"):
        seed("campfire", b"\x01" + path.read_bytes())
    seed("jsonl", (CASES / "jsonl/chat/chat.jsonl").read_bytes())
    # markup: the first byte picks the markup (mrkdwn, tokens, Markdown, HTML, plain).
    payloads = (CASES / "xss/payloads.txt").read_text().splitlines()
    for kind in range(5):
        for payload in payloads:
            if payload and not payload.startswith("#"):
                seed("markup", bytes([kind]) + payload.encode())
    for path in files("slack/everything", "*.json"):
        for message in json.loads(path.read_text()) if path.parent.name != "everything" else []:
            if message.get("text"):
                seed("markup", b"\x00" + message["text"].encode())


if __name__ == "__main__":
    main()
