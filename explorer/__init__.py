"""word2vec explorer library: everything the app shows about a set of word vectors, without streamlit.

    import explorer as ex

    vec = ex.load_vectors("runs/demo")                 # run dir / RunResult / word2vec / GloVe / vectors.tsv
    vec = ex.load_vectors(upload.getvalue(), name=upload.name)      # bytes from st.file_uploader
    vec.most_similar("king", topn=10)                  # [(word, cosine)], query words excluded
    vec.analogy("king", "man", "woman")                # king - man + woman (3CosAdd; method="3cosmul")
    m = ex.compute_map(vec, "umap", n_words=5000, progress=lambda f, msg: bar.progress(f, msg))
    clusters = ex.kmeans_clusters(vec, n_words=m.n, k=8)
    st.plotly_chart(ex.map_figure(m, color_by="cluster", clusters=clusters, query="king",
                                  neighbours=vec.most_similar("king")))
    st.download_button("coordinates.csv", ex.map_csv(m, clusters), "coordinates.csv", "text/csv")
    ex.evaluate_analogies(vec, "questions-words.txt").rows()       # per-section accuracy table
    live = ex.StableMapper("pca"); live.update(words, matrix)     # live map during training

Public API, by module (each module's docstring has the details and more examples):
    vectors     Vectors(words, matrix, counts=None, name=...), Vectors.from_run(dir | RunResult),
                VectorsFormatError (.source, .line, .problem), UnknownWordError (.word, .suggestions)
    loaders     load_vectors(source, name=None, *, format="auto", metadata=None, limit=None, max_words=...),
                load_word2vec, load_glove, load_projector(vectors_tsv, metadata_tsv=None), detect_format
    neighbours  most_similar, most_similar_cosmul, analogy, similarity, doesnt_match, words_matching
                (also methods of Vectors)
    projection  compute_map(vectors, method, n_words, dims, ...) -> MapResult, MAP_CACHE / MapCache,
                kmeans_clusters, METHOD_LIMITS, warm_up_umap
    stable      StableMapper(method).update(words, matrix) -> MapResult (live map), procrustes_align
    figures     map_figure, escape_label, escape_markdown (figures_charts: loss_figure, zipf_figure,
                neighbours_figure, line_length_figure)
    exports     map_csv, neighbours_csv, all_neighbours_csv, vectors_tsv, metadata_tsv, word2vec_text,
                word2vec_binary, bundle_zip
    agreement   neighbour_agreement (two runs' neighbourhoods), resolve_word (typed word -> vocabulary)
    evaluation  evaluate_analogies -> AnalogyReport, evaluate_similarity -> SimilarityReport, spearman

Heavy dependencies (umap, scikit-learn) load only when a map or clustering is computed; neither streamlit nor
tensorflow is ever imported.
"""
from .agreement import neighbour_agreement, resolve_word
from .evaluation import AnalogyReport, SectionScore, SimilarityReport, evaluate_analogies, evaluate_similarity, spearman
from .exports import (
    all_neighbours_csv,
    bundle_zip,
    map_csv,
    metadata_tsv,
    neighbours_csv,
    vectors_tsv,
    word2vec_binary,
    word2vec_text,
)
from .figures import escape_label, escape_markdown, map_figure
from .figures_charts import line_length_figure, loss_figure, neighbours_figure, zipf_figure
from .loaders import DEFAULT_MAX_WORDS, detect_format, load_glove, load_projector, load_vectors, load_word2vec
from .neighbours import analogy, doesnt_match, most_similar, most_similar_cosmul, similarity, words_matching
from .projection import MAP_CACHE, METHOD_LIMITS, MapCache, MapResult, compute_map, kmeans_clusters, warm_up_umap
from .stable import StableMapper, procrustes_align
from .vectors import UnknownWordError, Vectors, VectorsFormatError

load_run = Vectors.from_run

__all__ = [
    # vectors and loading
    "Vectors", "VectorsFormatError", "UnknownWordError", "load_vectors", "load_run", "load_word2vec", "load_glove",
    "load_projector", "detect_format", "DEFAULT_MAX_WORDS",
    # neighbours
    "most_similar", "most_similar_cosmul", "analogy", "similarity", "doesnt_match", "words_matching",
    # maps
    "compute_map", "MapResult", "MapCache", "MAP_CACHE", "METHOD_LIMITS", "StableMapper", "kmeans_clusters",
    "procrustes_align", "warm_up_umap",
    # figures and exports
    "map_figure", "loss_figure", "zipf_figure", "neighbours_figure", "escape_label", "escape_markdown", "map_csv",
    "neighbours_csv",
    "line_length_figure", "all_neighbours_csv", "bundle_zip", "vectors_tsv", "metadata_tsv", "word2vec_text",
    "word2vec_binary",
    # comparing and typed words
    "neighbour_agreement", "resolve_word",
    # evaluation
    "evaluate_analogies", "evaluate_similarity", "AnalogyReport", "SimilarityReport", "SectionScore", "spearman",
]
