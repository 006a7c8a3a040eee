"""Image primitives against their references: peaks vs scipy.signal, block means vs padding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from scipy import signal

from blotquant.image.peaks import find_peaks, peak_prominences, peak_widths


def _profiles():
    rng = np.random.default_rng(7)
    for seed in range(40):
        n = int(rng.integers(20, 400))
        x = rng.normal(0, 1, n)
        if seed % 3 == 0:
            x = ndi.gaussian_filter1d(x, 2.0)
        if seed % 4 == 0:
            x = np.round(x, 1)  # flat tops and ties
        yield seed, x


@pytest.mark.parametrize(("seed", "x"), list(_profiles()))
def test_find_peaks_matches_scipy(seed, x):
    options = [{}, {"prominence": 0.5}, {"height": 0.2, "prominence": 0.3},
               {"distance": 5, "prominence": 0.2}, {"distance": 12}]
    for kwargs in options:
        ours, props = find_peaks(x, **kwargs)
        theirs, _ = signal.find_peaks(x, **kwargs)
        np.testing.assert_array_equal(ours, theirs, err_msg=f"{seed} {kwargs}")
        expected = signal.peak_prominences(x, theirs)[0]
        np.testing.assert_allclose(props["prominences"], expected, err_msg=f"{seed} {kwargs}")


@pytest.mark.parametrize(("seed", "x"), list(_profiles()))
def test_prominence_bases_and_widths_match_scipy(seed, x):
    peaks, _ = signal.find_peaks(x)
    ours = peak_prominences(x, peaks)
    theirs = signal.peak_prominences(x, peaks)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, err_msg=str(seed))
    for rel in (0.5, 1.0):
        np.testing.assert_allclose(peak_widths(x, peaks, rel_height=rel),
                                   signal.peak_widths(x, peaks, rel_height=rel),
                                   err_msg=f"{seed} {rel}")


@pytest.mark.parametrize("shape", [(10, 13), (12, 12), (7, 5), (3, 20), (61, 47)])
@pytest.mark.parametrize("factor", [2, 3, 6])
@pytest.mark.parametrize("func", ["mean", "min"])
def test_block_reduce_equals_padding_the_whole_image(shape, factor, func):
    from blotquant.image.background import block_reduce

    x = np.random.default_rng(factor).normal(100, 5, shape).astype(np.float32)
    h, w = shape
    padded = np.pad(x, ((0, (-h) % factor), (0, (-w) % factor)), mode="edge")
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    expected = blocks.min(axis=(1, 3)) if func == "min" else blocks.mean(axis=(1, 3))
    np.testing.assert_allclose(block_reduce(x, factor=factor, func=func), expected, rtol=1e-5)


def test_a_plateau_of_touching_lanes_is_cut_at_its_dips_only():
    from blotquant.image.lanes import _split_at_dips

    x = np.arange(300.0)
    # five touching lanes, pitch 40, uneven heights, narrow gaps 4 px wide
    lanes = sum(h * (np.abs(x - c) <= 18) for h, c in
                zip((1.0, 0.8, 1.1, 0.75, 0.9), (70, 110, 150, 190, 230), strict=True))
    light = ndi.gaussian_filter1d(lanes, 1.0)
    smooth = ndi.gaussian_filter1d(lanes, 4.0)  # the dips are gone at this scale
    peak = np.array([int(np.argmax(smooth))])
    cut, _ = _split_at_dips(peak, np.ones(1), smooth, light, pitch=40.0)
    np.testing.assert_allclose(cut, [70, 110, 150, 190, 230], atol=3)
    # the same plateau without dips (one wide lane) stays whole
    flat = ndi.gaussian_filter1d((np.abs(x - 150) <= 98).astype(float), 1.0)
    kept, _ = _split_at_dips(peak, np.ones(1), smooth, flat, pitch=40.0)
    assert kept.tolist() == peak.tolist()


def test_dust_blobs_are_removed_from_a_lane_but_band_bars_are_left_exactly():
    from blotquant.image.quantify import clean_blobs

    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:120, 0:80].astype(float)
    # a lane 50 px wide with soft edges, one band bar across it, noise SD 5
    lane = 0.5 * (np.tanh((xx - 15) / 2.0) - np.tanh((xx - 65) / 2.0))
    bar = 2000.0 * np.exp(-0.5 * ((yy - 60) / 4.0) ** 2) * lane
    clean = 100.0 + bar + rng.normal(0.0, 5.0, yy.shape)
    blob = 900.0 * np.exp(-0.5 * (((yy - 58) / 2.0) ** 2 + ((xx - 40) / 2.0) ** 2))
    dark = -400.0 * np.exp(-0.5 * (((yy - 20) / 1.5) ** 2 + ((xx - 30) / 1.5) ** 2))
    cleaned = clean_blobs(clean + blob + dark, noise=5.0, size=21)
    # a tenth of the bright blob's sum is left at most (it is all there without cleaning)
    assert abs(cleaned.sum() - clean.sum()) < 0.1 * blob.sum()
    untouched = clean_blobs(clean, noise=5.0, size=21)
    np.testing.assert_array_equal(untouched, clean)


def test_a_background_rising_towards_the_image_edge_leaves_no_band_like_residue():
    from blotquant.image.lanes import make_detection_image

    # no bands: a U-shaped illumination, rising steeply towards the top and bottom
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:600, 0:500].astype(float)
    background = 2000.0 + 1500.0 * ((yy - 250) / 350) ** 2 + 0.5 * xx
    det = make_detection_image(background + rng.normal(0.0, 20.0, yy.shape), quantum=1.0)
    # the edge rows look like the rest: no more band-like pixels than in the middle
    edge_rows = np.r_[0:30, 570:600]
    middle = det.occupancy[200:400].mean()
    assert det.occupancy[edge_rows].mean() <= middle + 0.01
    assert np.median(det.enhanced[edge_rows]) < 2.0 * det.noise


def test_lane_pitch_ignores_noise_wiggles_in_the_gaps_between_lanes():
    from blotquant.image.lanes import _lane_pitch

    x = np.arange(900.0)
    rng = np.random.default_rng(5)
    lanes = sum(np.exp(-0.5 * ((x - c) / 15.0) ** 2) for c in 60 + 108.0 * np.arange(8))
    # two small bumps (a fifth of a lane) in every gap between lanes: the plain
    # peak spacing is a third of the pitch, far from the autocorrelation lag
    middles = 114 + 108.0 * np.arange(7)
    bumps = sum(0.2 * np.exp(-0.5 * ((x - c) / 3.0) ** 2)
                for c in np.r_[middles - 14, middles + 14] + rng.uniform(-3, 3, 14))
    pitch = _lane_pitch(lanes + bumps)
    assert pitch is not None and abs(pitch - 108.0) < 2.0


def test_backgrounds_follow_a_slope_up_to_the_edge():
    from blotquant.image.background import profile_baseline, rolling_ball

    # a lane profile rising steeply towards its end, one band in the middle
    y = np.arange(400.0)
    slope = 100.0 + 0.02 * (y - 200).clip(0) ** 2
    band = 500.0 * np.exp(-0.5 * ((y - 150) / 4.0) ** 2)
    baseline = profile_baseline(slope + band, window=41)
    # the rise is background up to the edge (the light pre-smoothing aside); the band is not
    np.testing.assert_allclose(baseline[250:396], slope[250:396], rtol=0, atol=1.0)
    assert (slope + band - baseline)[150] > 490
    # the same in 2-D: an image brightening towards its right edge (by 800 grey
    # levels; the rolling ball works on block minima, a few levels low on a slope)
    image = np.tile(slope, (60, 1))
    np.testing.assert_allclose(rolling_ball(image, radius=20)[:, 250:396], image[:, 250:396],
                               rtol=0, atol=5.0)


def test_noise_below_one_grey_level_is_not_read_as_zero():
    from blotquant.image.lanes import robust_sd

    # 8-bit data with noise SD 0.4 grey levels: most neighbour differences are 0
    pixels = np.round(np.random.default_rng(2).normal(100.0, 0.4, (200, 200)))
    assert np.mean(np.diff(pixels, axis=1) == 0) > 0.5
    assert 0.7 * pixels.std() < robust_sd(pixels) < 1.3 * pixels.std()
    assert robust_sd(np.full((50, 50), 7.0)) == 0.0


def test_lanes_merged_between_peaks_a_whole_number_of_pitches_apart_are_restored():
    from blotquant.image.lanes import _merged_lanes, _split_gaps_at_dips

    x = np.arange(400.0)
    # seven touching lanes, pitch 50, 4-px gaps; smoothing left peaks on lanes 1, 4, 7
    centres = 50 + 50.0 * np.arange(7)
    lanes = sum(h * (np.abs(x - c) <= 23) for h, c in
                zip((1.0, 0.8, 0.9, 1.1, 0.85, 0.95, 1.0), centres, strict=True))
    light = ndi.gaussian_filter1d(lanes, 1.0)
    peaks = np.array([50, 200, 350])
    assert _merged_lanes(peaks, 50.0) and not _merged_lanes(np.array([50, 100, 150]), 50.0)
    found, _ = _split_gaps_at_dips(peaks, np.ones(3), light, pitch=50.0)
    np.testing.assert_allclose(found, centres, atol=2)
    # without the dips (one wide lane between the peaks) nothing is added
    wide = ndi.gaussian_filter1d((np.abs(x - 200) <= 173).astype(float), 1.0)
    kept, _ = _split_gaps_at_dips(peaks, np.ones(3), wide, pitch=50.0)
    assert kept.tolist() == peaks.tolist()


def test_nonnegative_least_squares_matches_scipy():
    from scipy.optimize import nnls

    from blotquant.image.quantify import _nonnegative_lstsq

    rng = np.random.default_rng(4)
    y = np.arange(60.0)
    for _ in range(50):
        # the Gaussian dictionaries that share a doublet's rows between its bands
        centres = np.sort(rng.uniform(15, 45, rng.integers(1, 4)))
        basis = np.stack([np.exp(-0.5 * ((y - c - shift) / width) ** 2)
                          for c in centres for shift in (-1.5, 0, 1.5) for width in (2, 3, 5)],
                         axis=1)
        target = sum(rng.uniform(0.5, 2) * np.exp(-0.5 * ((y - c) / rng.uniform(1.5, 4)) ** 2)
                     for c in centres) + rng.normal(0, 0.05, y.size)
        expected, _ = nnls(basis, target, maxiter=50 * basis.shape[1])
        weights = _nonnegative_lstsq(basis, target)
        assert weights.min() >= 0
        np.testing.assert_allclose(basis @ weights, basis @ expected, atol=1e-9)


def test_band_blocks_shifted_by_whole_lane_pitches_are_one_membrane():
    from blotquant.image.lanes import _offset_patterns

    x = np.arange(300.0)

    def pattern(centres):
        p = sum(np.exp(-0.5 * ((x - c) / 6.0) ** 2) for c in centres)
        p = p - p.mean()
        return p / np.linalg.norm(p)

    lanes = 20 + 30.0 * np.arange(9)
    upper = pattern(lanes[[0, 2, 4, 5]])  # one row has these lanes loaded ...
    same_grid = pattern(lanes[[1, 3, 5, 6]])  # ... another row other lanes of the same grid
    offset = pattern(lanes[[0, 2, 4, 5]] + 13.0)  # a second membrane, lanes 13 px over
    assert not _offset_patterns(upper, same_grid)
    assert _offset_patterns(upper, offset)


def test_a_vertical_streak_is_left_to_the_background_not_taken_for_blobs():
    from blotquant.image.quantify import clean_blobs

    rng = np.random.default_rng(6)
    yy, xx = np.mgrid[0:120, 0:60].astype(float)
    # a scratch or smear 4 px wide down the whole lane, and a band bar across it:
    # along a row the streak is a narrow bump, but down its column it is flat,
    # so it is a background for the lane baseline to take, not a blob
    streak = 300.0 * (np.abs(xx - 35) <= 2)
    band = 1500.0 * np.exp(-0.5 * ((yy - 60) / 3.0) ** 2)
    strip = 100.0 + band + streak + rng.normal(0.0, 5.0, yy.shape)
    away = np.abs(yy[:, 0] - 60) > 20  # rows well clear of the band
    np.testing.assert_array_equal(clean_blobs(strip, noise=5.0, size=21)[away], strip[away])


def test_a_blob_too_wide_for_the_row_window_is_found_against_the_lane_core():
    from blotquant.image.quantify import clean_blobs

    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:120, 0:26].astype(float)
    # a narrow lane (box 26 px, core columns 5-21, row window 7 px): a dust blob
    # 5 px across beside the band fills the row window, but not half the core;
    # band bars (and their edges) are left exactly as they are
    lane = 0.5 * (np.tanh((xx - 5) / 1.5) - np.tanh((xx - 21) / 1.5))
    band = 2000.0 * np.exp(-0.5 * ((yy - 60) / 2.0) ** 2) * lane
    clean = 100.0 + band + rng.normal(0.0, 5.0, yy.shape)
    blob = 800.0 * np.exp(-0.5 * (((yy - 80) / 2.0) ** 2 + ((xx - 13) / 2.0) ** 2))
    core = slice(5, 21)
    cleaned = clean_blobs(clean + blob, noise=5.0, size=7, core=core)
    assert abs(cleaned.sum() - clean.sum()) < 0.1 * blob.sum()
    assert abs(clean_blobs(clean + blob, noise=5.0, size=7).sum() - clean.sum()) > 0.5 * blob.sum()
    np.testing.assert_array_equal(clean_blobs(clean, noise=5.0, size=7, core=core), clean)


def test_a_band_row_broken_by_empty_lanes_is_linked_again():
    """A row whose last two positions tilt its prediction restarts after a gap; it must
    be joined again (random blot: the lower band of a doublet, absent in two lanes,
    became two rows 1 px apart and the predicted window took a third of the band)."""
    from blotquant.image.bands import link_band_rows

    upper = [100.1, 99.7, 100.7, 99.6, 99.8, 100.1, 100.2, 99.8, None, 99.9, 99.5, 100.0]
    lower = [108.4, 108.5, 108.1, 109.2, 108.8, None, 107.7, 109.1, None, None, 108.3, None]
    peaks = [np.array([y for y in (u, d) if y is not None]) for u, d in zip(upper, lower, strict=True)]
    rows = link_band_rows(peaks, tolerance=3.8)
    assert len(rows) == 2
    assert sorted(rows[1]) == [i for i, y in enumerate(lower) if y is not None]


def test_band_rows_a_doublet_apart_are_not_joined():
    """Two rows that share no lane but sit a doublet apart stay two rows."""
    from blotquant.image.bands import link_band_rows

    peaks = [np.array([100.0])] * 4 + [np.array([108.0])] * 4
    assert len(link_band_rows(peaks, tolerance=3.8)) == 2


def test_a_blob_over_a_third_of_the_row_window_is_filled_with_the_row_it_leaves():
    """A speck 4-5 px across at a lane's edge (row window 9 px) pulls a plain row
    median up; the fill must come from the row pixels the speck leaves."""
    from blotquant.image.quantify import clean_blobs

    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:100, 0:28].astype(float)
    lane = 0.5 * (np.tanh((xx - 7) / 1.5) - np.tanh((xx - 22) / 1.5))
    clean = 4800.0 + 4000.0 * np.exp(-0.5 * ((yy - 65) / 1.5) ** 2) * lane
    clean += rng.normal(0.0, 260.0, yy.shape)
    blob = 7000.0 * np.exp(-0.5 * (((yy - 60) / 1.2) ** 2 + ((xx - 5) / 1.2) ** 2))
    cleaned = clean_blobs(clean + blob, noise=260.0, size=9)
    # the blob's outer tails, under the thresholds, stay (a fifth of it); the
    # plain row median left twice that
    assert abs(cleaned.sum() - clean.sum()) < 0.3 * blob.sum()


def test_a_thin_band_tilted_across_its_lane_is_not_taken_for_dust():
    from blotquant.image.quantify import clean_blobs

    rng = np.random.default_rng(6)
    yy, xx = np.mgrid[0:100, 0:30].astype(float)
    lane = 0.5 * (np.tanh((xx - 5) / 1.5) - np.tanh((xx - 25) / 1.5))
    centre = 50.0 + 0.35 * (xx - 15)  # smile: 7 rows across the lane
    band = 3000.0 * np.exp(-0.5 * ((yy - centre) / 1.5) ** 2) * lane
    strip = 2900.0 + band + rng.normal(0.0, 80.0, yy.shape)
    cleaned = clean_blobs(strip, noise=80.0, size=10)
    assert abs(cleaned.sum() - strip.sum()) < 0.02 * band.sum()


@pytest.mark.parametrize("slope", [0.05, 0.12])
def test_blobs_are_looked_for_along_the_bands_slope(slope):
    """A strong band tilted by smile (1-3 rows across a 49 px box) departs from its
    rows' medians on its flanks; looked for along the slope, nothing is a blob."""
    from blotquant.image.quantify import clean_blobs

    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:120, 0:49].astype(float)
    lane = 0.5 * (np.tanh((xx - 8) / 1.5) - np.tanh((xx - 41) / 1.5))
    band = 20000.0 * np.exp(-0.5 * ((yy - 60.0 - slope * (xx - 24)) / 2.4) ** 2) * lane
    speck = 6000.0 * np.exp(-0.5 * (((yy - 90) / 1.2) ** 2 + ((xx - 20) / 1.2) ** 2))
    strip = (5000.0 + band + rng.normal(0.0, 80.0, yy.shape)).astype(np.float32)
    level = clean_blobs(strip, noise=80.0, size=18, slope=slope)
    assert abs(level.sum() - strip.sum()) < 0.001 * band.sum()
    assert abs(clean_blobs(strip, noise=80.0, size=18).sum() - strip.sum()) > 0.01 * band.sum()
    # a speck is still found when the strip is sheared
    dusty = strip + speck.astype(np.float32)
    assert abs(clean_blobs(dusty, noise=80.0, size=18, slope=slope).sum() - strip.sum()) \
        < 0.3 * speck.sum()


def test_broad_overlapping_bands_are_shared_even_when_a_peak_is_pulled():
    """Two broad bands (SD 10 and 9 px, 35 px apart, 3:1): the weaker one's profile
    peak is pulled 7 rows towards the stronger; each band's share stays within 3 %."""
    from blotquant.image.quantify import BandWindow, measure_lane

    rng = np.random.default_rng(2)
    y = np.arange(300, dtype=float)[:, None]
    upper = 3000.0 * np.exp(-0.5 * ((y - 140) / 10.0) ** 2)
    lower = 1000.0 * np.exp(-0.5 * ((y - 175) / 9.0) ** 2)
    strip = 100.0 + np.repeat(upper + lower, 20, axis=1) + rng.normal(0, 5.0, (300, 20))
    windows = [BandWindow(140.0, 11.8, 100, 158, True), BandWindow(168.0, 10.6, 158, 215, True)]
    measured = measure_lane(strip, windows, noise=5.0).volume
    np.testing.assert_allclose(measured, [upper.sum() * 20, lower.sum() * 20], rtol=0.03)


def test_every_other_lane_empty_gives_the_half_pitch():
    from blotquant.image.lanes import _infer_empty_lanes

    # three loaded lanes 47.5 px apart, then only every other lane loaded
    centers = np.array([44.0, 91.0, 139.0, 234.0, 330.0, 426.0])
    placed, seen = _infer_empty_lanes(centers)
    np.testing.assert_allclose(placed[~seen], [186.5, 282.0, 378.0])
    # the same spacings from lanes whose boxes fill the double pitch: one lane
    # split in two by an artefact, not empty lanes between wide ones
    lefts = centers - 40.0
    rights = centers + 40.0
    placed, seen = _infer_empty_lanes(centers, lefts, rights)
    assert seen.all()


def test_shelf_beside_a_bright_lane_is_a_lane_but_not_a_step_inside_one():
    from blotquant.image.lanes import _add_shelf_lanes

    x = np.arange(300)
    lane = lambda a, b, h: h * ((x >= a) & (x < b))
    # lane 1 bright at 10-60; a gap; a faint flat lane at 100-160 touching a
    # bright lane at 160-220
    profile = lane(10, 60, 1.0) + lane(100, 160, 0.4) + lane(160, 220, 1.2)
    peaks = np.array([35, 190])
    found, _ = _add_shelf_lanes(peaks, np.array([1.0, 1.2]), profile)
    assert found.size == 3 and abs(found[1] - 130) <= 2
    # the same shelf between two bright lanes' runs is part of one of them
    profile = lane(40, 100, 1.0) + lane(100, 160, 0.4) + lane(160, 220, 1.2)
    found, _ = _add_shelf_lanes(np.array([70, 190]), np.array([1.0, 1.2]), profile)
    assert found.tolist() == [70, 190]


def test_pixels_lifted_off_the_clip_level_by_read_noise_count_as_saturated():
    from blotquant.image.io import scan_from_array
    from blotquant.image.polarity import saturation_mask

    # dark bands on a 16-bit scan clip at 0; read noise added afterwards lifts a
    # clipped pixel to 20 counts (0.03 % of the range), which is still clipped
    data = np.full((16, 16), 60000, dtype=np.uint16)
    data[4, 4], data[5, 5], data[6, 6] = 0, 20, 500
    mask = saturation_mask(scan_from_array(data), polarity="dark")
    assert mask[4, 4] and mask[5, 5] and not mask[6, 6]
    # 8-bit bright bands: one grey level below the top is clipped, two are not
    data8 = np.full((16, 16), 10, dtype=np.uint8)
    data8[4, 4], data8[5, 5], data8[6, 6] = 255, 254, 253
    mask = saturation_mask(scan_from_array(data8), polarity="light")
    assert mask[4, 4] and mask[5, 5] and not mask[6, 6]
