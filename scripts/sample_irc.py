#!/usr/bin/env python3
"""Writes the IRC half of sample-logs/: the same ops team's older history, from before they
moved to Slack, as their ZNC bouncer logged it (UTC clock, one file per channel per day).

Layout: sample-logs/irc/freenode/#parsec-ops/YYYY-MM-DD.log (ZNC's `log` module default).
The story: on 4 November 2013 a Nagios bot reports replication lag on read replica rr12 (the
same kind of trouble the Slack export shows in January); the team fixes it over IRC. On
2 December they agree to move to Slack. Nicks differ from the Slack handles (pnovak is Peter,
marcus_o is Marcus), as they do in real life.

Deterministic: run it again and the files are byte-identical (`\\n` endings, UTF-8, one line
in Latin-1 as old logs have, and mIRC colour codes in the bot's lines).
Usage: python3 scripts/sample_irc.py [OUT_DIR]   (default: sample-logs/irc)
"""

import os
import sys

C = "\x03"  # mIRC colour
B = "\x02"  # bold
O = "\x0f"  # reset

DAYS = {
    "2013-11-04": [
        "[07:58:12] *** Joins: pnovak (~pnovak@gw.parsec-metrics.example)",
        "[07:58:40] <pnovak> morning all",
        "[08:02:03] <anna> morning! coffee machine on 3 is fixed btw",
        f"[08:14:27] -nagios- {B}** PROBLEM Service Alert: db-rr12/Replication lag is CRITICAL **{B} {C}04lag 412s{O}",
        "[08:14:51] <pnovak> rr12 again. marcus_o are you around?",
        "[08:15:30] * pnovak looks at the replication graphs",
        "[08:17:02] <marcus_o> here. late for me but ok",
        "[08:18:45] <marcus_o> WAL replay is stuck on a long vacuum on the primary, rr12 can't keep up",
        "[08:20:10] <pnovak> taking rr12 out of the read pool for now",
        f"[08:29:33] -nagios- {B}** PROBLEM Service Alert: db-rr12/Replication lag is CRITICAL **{B} {C}04lag 688s{O}",
        "[08:31:05] <marcus_o> vacuum done, lag dropping",
        f"[08:52:18] -nagios- {B}** RECOVERY Service Alert: db-rr12/Replication lag is OK **{B} {C}03lag 3s{O}",
        "[08:53:02] <pnovak> rr12 back in the pool. all clear",
        "[08:53:40] <liwei> thanks both. can we get this in a runbook?",
        "[08:54:12] <marcus_o> will write it up tomorrow",
        "[09:30:00] *** pnovak is now known as pnovak|lunch",
        "[10:15:44] *** pnovak|lunch is now known as pnovak",
        "[17:45:09] *** Quits: marcus_o (~marcus@cpe-203-0-113-7.example) (Quit: sleep)",
    ],
    "2013-11-05": [
        "[09:12:30] <marcus_o> runbook for replica lag: https://wiki.parsec-metrics.example/runbooks/replica-lag",
        "[09:13:02] <anna> \u2764 thanks",
        # An old client wrote this line in Latin-1, not UTF-8.
        "[09:20:41] <sofia> caf\xe9 downstairs has the good beans again",
        "[09:21:00] *** sofia changes topic to 'Ops | on call: pnovak (EU) / marcus_o (APAC) | runbooks on the wiki'",
    ],
    "2013-12-02": [
        "[16:00:05] <liwei> decision: we move ops chat to Slack on 10 January, with the Librato and PagerDuty integrations",
        "[16:00:40] <pnovak> \\o/",
        "[16:01:12] <anna> will we keep these logs?",
        "[16:01:30] <liwei> yes, they go into the archive next to the Slack history",
        "[16:02:02] *** Parts: sofia (~sofia@gw.parsec-metrics.example) (see you on the other side)",
    ],
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join("sample-logs", "irc")
    folder = os.path.join(root, "freenode", "#parsec-ops")
    os.makedirs(folder, exist_ok=True)
    for day, lines in DAYS.items():
        data = b"".join(line.encode("latin-1" if "caf\xe9" in line else "utf-8") + b"\n" for line in lines)
        with open(os.path.join(folder, f"{day}.log"), "wb") as f:
            f.write(data)
    print(f"wrote {root}: {sum(map(len, DAYS.values()))} lines in {len(DAYS)} files")


if __name__ == "__main__":
    main()
