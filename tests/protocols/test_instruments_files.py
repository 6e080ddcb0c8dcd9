"""File adapters against real recordings: five PicoQuant TTTR files from HydraHarp and PicoHarp instruments,
with the reference values that ptufile, phconvert, tttrlib and PicoQuant's own demo reader agree on
(shared/data/instruments/README.md, which these tests read so the numbers live in one place)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from protocols.errors import WireError
from protocols.instruments import (
    MARKER_CHANNEL_BASE,
    iter_picoquant,
    iter_raw16,
    read_picoquant,
    read_raw16,
    write_raw16,
)
from protocols.instruments.picoquant import FORMATS, _decode
from protocols.timetags import TIMETAG_DTYPE, RecordType

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "instruments"


def _reference() -> dict:
    text = (DATA / "README.md").read_text()
    block = re.search(r"```json\n(.*?)\n```", text, re.S)
    assert block, "reference JSON block not found in shared/data/instruments/README.md"
    return json.loads(block.group(1))


REF = _reference()


@pytest.fixture(scope="module", params=sorted(REF))
def recording(request):
    name = request.param
    return name, REF[name], read_picoquant(DATA / name)


def test_files_are_the_referenced_recordings():
    for name, ref in REF.items():
        digest = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert digest == ref["sha256"], name


def test_header_matches_reference(recording):
    name, ref, rec = recording
    assert rec.header.n_records == ref["n_records"]
    assert rec.header.data_offset == ref["data_offset"]
    assert rec.header.global_resolution_s == pytest.approx(ref["global_resolution_s"], rel=1e-12)
    assert rec.format.mode == ("T2" if ref["measurement_mode"] == 2 else "T3")


def test_record_classification_matches_reference(recording):
    name, ref, rec = recording
    c = rec.counts
    assert (c.records, c.photons, c.overflow_records, c.wraps, c.markers, c.syncs) == (
        ref["n_records"],
        ref["n_photon"],
        ref["n_overflow_records"],
        ref["n_wraps"],
        ref["n_marker"],
        ref["n_sync"],
    )
    channels, counts = np.unique(rec.tags["channel"], return_counts=True)
    assert {str(int(k)): int(v) for k, v in zip(channels, counts)} == ref["per_channel"]


def test_photon_events_match_reference(recording):
    name, ref, rec = recording
    events = ref["first10"] + ref["extra"] + [ref["last"]]
    for ev in events:
        i = ev["i"]
        assert rec.tags["channel"][i] == ev["channel"], (name, i)
        if rec.format.mode == "T2":
            assert rec.tags["time_ps"][i] == ev["time_ps"], (name, i)
            if "time_units" in ev:
                assert rec.time_units[i] == ev["time_units"], (name, i)
        else:
            assert rec.nsync[i] == ev["nsync"] and rec.dtime[i] == ev["dtime"], (name, i)
            # The reference gives the derived time to 0.1 ps; an int64-ps adapter rounds to the nearest ps.
            assert rec.tags["time_ps"][i] == round(ev["time_ps"]), (name, i)


def test_whole_file_checksums_match_reference(recording):
    name, ref, rec = recording
    coarse = rec.time_units if rec.format.mode == "T2" else rec.nsync
    assert int(coarse.sum()) == ref["time_sum"]
    if rec.format.mode == "T3":
        assert int(rec.dtime.sum()) == ref["dtime_sum"]
    assert (np.diff(coarse) >= 0).all()
    assert (rec.tags["type"] == RecordType.TAG).all()


def test_batched_reading_equals_whole_file():
    name = "hydraharp_v20_t2.ptu"  # the file whose overflow records carry wrap counts above 1
    whole = read_picoquant(DATA / name).tags
    parts = np.concatenate(list(iter_picoquant(DATA / name, batch_records=10_007)))
    assert np.array_equal(parts, whole)


def test_v1_rule_on_v2_file_gives_the_documented_wrong_answer():
    # The README's pitfall: reading the V2 .ht3 with the V1 rule ends at nsync 9,692,982 instead of ~10 s.
    from protocols.instruments.picoquant import open_header

    header, fmt, mm = open_header(DATA / "hydraharp_v20.ht3")
    raw = np.frombuffer(mm, dtype="<u4", count=header.n_records, offset=header.data_offset).copy()
    mm.close()
    wrong = _decode(raw, FORMATS[0x00010304], 0)
    assert int(wrong.coarse[wrong.keep][-1]) == 9_692_982


def test_marker_records_decode_to_marker_channels():
    # Synthetic HydraHarp V2 T2 records: a marker (special, channel 4 = marker bit 3), then a photon.
    marker = (1 << 31) | (4 << 25) | 1000
    photon = (2 << 25) | 2000
    d = _decode(np.array([marker, photon], dtype=np.uint32), FORMATS[0x01010204], 0)
    assert list(d.channel) == [MARKER_CHANNEL_BASE - 3, 2]
    assert d.n_marker == 1


def test_truncated_and_foreign_files_are_rejected(tmp_path):
    src = (DATA / "hydraharp_v20_t3.ptu").read_bytes()
    cut = tmp_path / "cut.ptu"
    cut.write_bytes(src[: len(src) - 4000])
    with pytest.raises(WireError, match="announces 106349 records but the file holds"):
        read_picoquant(cut)
    junk = tmp_path / "junk.ptu"
    junk.write_bytes(b"not a time tag file" * 10)
    with pytest.raises(WireError, match="neither a PTU"):
        read_picoquant(junk)
    hdr = tmp_path / "hdr.ptu"
    hdr.write_bytes(src[:2000])
    with pytest.raises(WireError, match="truncated"):
        read_picoquant(hdr)


def test_raw16_round_trip_and_validation(tmp_path):
    tags = read_picoquant(DATA / "hydraharp_v20.ht3").tags
    f = tmp_path / "tags.bin"
    write_raw16(f, tags)
    assert f.stat().st_size == 16 * len(tags)
    assert np.array_equal(read_raw16(f), tags)
    assert np.array_equal(np.concatenate(list(iter_raw16(f, batch_records=999))), tags)
    bad = tags[:10].copy()
    bad["type"][7] = 9
    write_raw16(f, bad)
    with pytest.raises(WireError, match="record 7 has unknown type 9"):
        read_raw16(f)
    f.write_bytes(b"\x00" * 20)
    with pytest.raises(WireError, match="not a multiple of the 16-byte record"):
        read_raw16(f)
    with pytest.raises(TypeError, match="TIMETAG_DTYPE"):
        write_raw16(f, np.zeros(3, dtype=np.int64))
    assert TIMETAG_DTYPE.itemsize == 16
