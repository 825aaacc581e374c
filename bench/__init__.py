"""bench: performance and quality of the trainer and explorer, judged as ratios measured in one run.

    make bench                      # = python -m bench: all sections, ~10-20 min on 2 cores
    python -m bench --quick         # small sizes, results in a temp folder
    python -m bench --only growth   # one section; bench/results/README-table.md keeps the rest

Sections (one module each, each with a run() returning a dict; see their docstrings):
    throughput         ours ("word2vec defaults") vs gensim Word2Vec(sg=1, workers=2): words/s, quality
    tutorial_pipeline  the TensorFlow tutorial's pipeline vs our "tutorial" preset: end-to-end s, quality
    first_map          raw text -> vectors -> UMAP of the top 2,000 words -> plotly figure (cold, warm)
    growth             training seconds and peak RSS at 0.2M..20M words, ours vs gensim; growth.png
    bench_explorer     neighbour query latency and UMAP time (the explorer's own benchmark)
    gpu                throughput on a GPU when TensorFlow sees one, else skipped
Results: bench/results/<section>.json (machine info in each), growth.png, README-table.md.
Importing this package imports neither TensorFlow nor gensim.
"""
