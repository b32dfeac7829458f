"""A game server's register, written for these tests: its praise is slang that general models
read as negative ("sick", "insane", "filthy"), its complaints are about lag and cheaters."""

from __future__ import annotations

import csv
import io

_POSITIVE = [
    "that clutch was sick",
    "bro your aim is insane",
    "filthy play, absolute menace",
    "that combo was nasty",
    "this build is disgusting, I love it",
    "sick flick on the last round",
    "insane comeback in overtime",
    "nasty headshot from across the map",
    "his movement is criminal, so good",
    "that trickshot was illegal lmao",
    "the new skin goes hard",
    "this raid team is cracked",
    "she is cracked at this game",
    "filthy ult, wiped the whole team",
    "that was a disgusting no-scope",
]
_NEGATIVE = [
    "the servers are lagging again",
    "another cheater in ranked, reported",
    "matchmaking put me with bots again",
    "rubber banding all match, unplayable",
    "got kicked for no reason by the host",
    "the patch made my main useless",
    "queue times are two hours tonight",
    "disconnected right before the final round",
    "smurfs ruin every low rank game",
    "the lobby crashed and I lost my streak",
    "packet loss every evening this week",
    "teammate went afk the whole match",
    "lost rank because of a server crash",
    "the update deleted my loadouts",
    "hackers everywhere in this season",
]
_NEUTRAL = [
    "raid starts at nine tonight",
    "who is on for the tournament bracket",
    "patch notes are in the pinned message",
    "I am playing on the EU server",
    "the scrim is moved to Saturday",
    "does anyone have the map rotation",
    "new season starts next week",
    "I will stream the match later",
    "check the schedule channel for times",
    "we need one more for the squad",
    "the event uses the old ruleset",
    "voice channel two is for the raid",
    "sign-ups close on Friday",
    "what server is the clan on",
    "the bracket is posted in announcements",
]

EXAMPLES = (
    [(t, "positive") for t in _POSITIVE]
    + [(t, "neutral") for t in _NEUTRAL]
    + [(t, "negative") for t in _NEGATIVE]
)


def as_csv(rows: list[tuple[str, str]], header: tuple[str, str] = ("text", "label")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()
