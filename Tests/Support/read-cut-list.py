#!/usr/bin/env python3
"""Reads a cut list the way an editor's import does, with OpenTimelineIO (its own otio_json reader, and
the CMX 3600 adapter for EDLs), and prints what it found as JSON: the timeline's clips in order, each
with its name, the source file it refers to, and its source range in frames at RATE.

    read-cut-list.py FILE edl|otio RATE      (RATE as a fraction, e.g. 30000/1001)
"""
import json
import sys
from fractions import Fraction

import opentimelineio as otio

path, kind, rate_text = sys.argv[1], sys.argv[2], sys.argv[3]
rate = float(Fraction(rate_text))
timeline = otio.adapters.read_from_file(path, "cmx_3600", rate=rate) if kind == "edl" else otio.adapters.read_from_file(path, "otio_json")
clips = []
for clip in timeline.find_clips():
    source = clip.source_range
    reference = clip.media_reference
    clips.append({
        "name": clip.name,
        "target": getattr(reference, "target_url", None),
        "start": round(source.start_time.rescaled_to(rate).value),
        "frames": round(source.duration.rescaled_to(rate).value),
        "text": clip.metadata.get("cutline", {}).get("text"),
    })
print(json.dumps({"name": timeline.name, "tracks": len(timeline.tracks), "clips": clips}))
