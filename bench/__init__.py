"""tsukuru's benchmarks: each module measures one path against a baseline taken in the same run.

Run them all with `python -m bench`, or some by name (`python -m bench s3` runs every `s3_*`
module). A figure is only meaningful next to its baseline on the same machine at the same
moment, so every benchmark measures both and prints the ratio; `bench/RESULTS.md` keeps what
was printed.
"""
