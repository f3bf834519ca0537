#!/usr/bin/env python3
"""Peer of `cartosol bench lisa`: libpysal queen contiguity and esda local Moran (LISA) on the
communes of France, same random values (SplitMix64, seed 91, one per commune in file order).

    pip install libpysal==4.14.1 esda==2.9.0 geopandas==1.2.0 pyogrio numba
    /usr/bin/time -v python3 bench/pysal_lisa.py ../shared/data/france/communes_l93.shp \
        --permutations 999 [--jobs 2]

Prints the time of each step (load, weights, global Moran, LISA). esda's conditional
permutations use numba when installed (their JIT compilation is part of the first call and
of the whole-process time).

Measured 2026-11-30 on the shared 2-core machine (load ~4), same run as `cartosol bench lisa`
(release, --no-default-features): cartosol 2.2-3.0 s wall, 111 MB peak RSS (weights 0.14-0.15 s,
LISA 1.0-1.4 s); libpysal 4.14.1 + esda 2.9.0 + numba 0.68.1: 31-33 s wall (n_jobs 1; 51 s with
n_jobs 2), 1.18-1.24 GB peak RSS (weights 3.6-3.7 s, LISA 21-25 s). Same 206,696 links, 12
islands, same I = 0.000171.
"""

import argparse
import time

MASK = (1 << 64) - 1


def splitmix64(seed):
    """The same generator as `cartosol bench` (Steele, Lea & Flood 2014)."""
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--seed", type=int, default=91)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import esda
    import geopandas as gpd
    import numpy as np
    from libpysal.weights import Queen

    t_import = time.perf_counter() - t0

    t = time.perf_counter()
    gdf = gpd.read_file(args.file)
    t_load = time.perf_counter() - t

    rng = splitmix64(args.seed)
    y = np.array([(next(rng) >> 11) / float(1 << 53) for _ in range(len(gdf))])

    t = time.perf_counter()
    w = Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)
    w.transform = "r"
    t_weights = time.perf_counter() - t
    links = int(sum(w.cardinalities.values()))

    t = time.perf_counter()
    np.random.seed(args.seed)
    mg = esda.Moran(y, w, permutations=args.permutations)
    t_global = time.perf_counter() - t

    t = time.perf_counter()
    ml = esda.Moran_Local(
        y, w, permutations=args.permutations, seed=args.seed, n_jobs=args.jobs
    )
    t_local = time.perf_counter() - t
    significant = int((ml.p_sim <= 0.05).sum())
    print(
        f"{args.file} : {len(gdf)} communes chargées en {t_load:.3f} s (imports {t_import:.3f} s) ; "
        f"contiguïté reine {t_weights:.3f} s ({links} liens, {len(w.islands)} îles) ; "
        f"Moran global {t_global:.3f} s (I = {mg.I:.6f}, p = {mg.p_sim}) ; "
        f"LISA {args.permutations} permutations {t_local:.3f} s "
        f"({significant} zones p <= 0,05, n_jobs {args.jobs}) ; "
        f"total hors chargement {t_weights + t_global + t_local:.3f} s ; "
        f"processus {time.perf_counter() - t0:.3f} s"
    )


if __name__ == "__main__":
    main()
