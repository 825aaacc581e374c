// Skip-gram / CBOW negative-sampling update as a TensorFlow custom op.
//
// The same idea as the kernels TensorFlow's own models repository once shipped
// for word2vec (NegTrain): the op reads the two embedding matrices held in
// tf.Variables (resource handles) and applies word2vec's SGD updates in place,
// Hogwild style, over a whole chunk of pairs prepared by NumPy. Only the rows
// named by the chunk are touched. Built by `make native` with the compile and
// link flags from tf.sysconfig; trainer/native/__init__.py builds and loads it.
//
// Inputs (per call):
//   w_in, w_out : resource handles of float32 [vocab, dim] variables
//   targets     : int32 [n]      word to predict (output row) of each example
//   inputs      : int32 [m]      SG: input word of each pair (m == n);
//                                CBOW: context words, grouped by row_splits
//   row_splits  : int64 [n + 1]  CBOW only (ignored for SG, pass [0])
//   negatives   : int32 [n, k]   negative words, drawn from unigram^0.75
//   lr          : float32 [2]    learning rate at the first and last pair
// Output: float32 [2] = (sum of loss over pairs, number of pairs)
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/resource_var.h"
#include "tensorflow/core/framework/shape_inference.h"

using namespace tensorflow;  // NOLINT

REGISTER_OP("Word2vecNegTrain")
    .Input("w_in: resource")
    .Input("w_out: resource")
    .Input("targets: int32")
    .Input("inputs: int32")
    .Input("row_splits: int64")
    .Input("negatives: int32")
    .Input("lr: float")
    .Attr("cbow: bool = false")
    .Attr("num_threads: int = 1")
    .Output("loss: float")
    .SetIsStateful()
    .SetShapeFn([](shape_inference::InferenceContext* c) {
      c->set_output(0, c->Vector(2));
      return absl::OkStatus();
    });

namespace {

constexpr int kTableSize = 4096;
constexpr float kMaxExp = 8.0f;

// Sigmoid and log-sigmoid on a table over [-kMaxExp, kMaxExp], clamped outside.
struct SigmoidTable {
  float sig[kTableSize + 1];
  float logsig[kTableSize + 1];
  SigmoidTable() {
    for (int i = 0; i <= kTableSize; ++i) {
      double x = (2.0 * i / kTableSize - 1.0) * kMaxExp;
      sig[i] = static_cast<float>(1.0 / (1.0 + std::exp(-x)));
      logsig[i] = static_cast<float>(-std::log1p(std::exp(-x)));
    }
  }
  inline int Index(float x) const {
    if (x <= -kMaxExp) return 0;
    if (x >= kMaxExp) return kTableSize;
    return static_cast<int>((x + kMaxExp) * (kTableSize / (2.0f * kMaxExp)) + 0.5f);
  }
};
const SigmoidTable& Table() {
  static const SigmoidTable* t = new SigmoidTable();
  return *t;
}

inline float Dot(const float* a, const float* b, int d) {
  float s = 0.f;
  for (int i = 0; i < d; ++i) s += a[i] * b[i];
  return s;
}
inline void Axpy(float g, const float* x, float* y, int d) {
  for (int i = 0; i < d; ++i) y[i] += g * x[i];
}

// One logistic term: label 1 for the true word, 0 for a negative. Accumulates
// the input-side gradient into `grad` and updates the output row in place.
inline float Term(const float* h, float* out_row, int label, float lr,
                  float* grad, int d) {
  const SigmoidTable& t = Table();
  const float f = Dot(h, out_row, d);
  const int i = t.Index(f);
  const float g = (label - t.sig[i]) * lr;
  Axpy(g, out_row, grad, d);
  Axpy(g, h, out_row, d);
  // -log sigmoid(f) for the true word, -log sigmoid(-f) for a negative.
  return label ? -t.logsig[i] : -t.logsig[kTableSize - i];
}

}  // namespace

class Word2vecNegTrainOp : public OpKernel {
 public:
  explicit Word2vecNegTrainOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("cbow", &cbow_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("num_threads", &num_threads_));
  }

  void Compute(OpKernelContext* ctx) override {
    core::RefCountPtr<Var> v_in, v_out;
    OP_REQUIRES_OK(ctx, LookupResource(ctx, HandleFromInput(ctx, 0), &v_in));
    OP_REQUIRES_OK(ctx, LookupResource(ctx, HandleFromInput(ctx, 1), &v_out));
    mutex_lock l_in(*v_in->mu());
    mutex_lock l_out(*v_out->mu());
    OP_REQUIRES_OK(ctx, Unshare(ctx, v_in.get()));
    OP_REQUIRES_OK(ctx, Unshare(ctx, v_out.get()));
    Tensor* t_in = v_in->tensor();
    Tensor* t_out = v_out->tensor();
    OP_REQUIRES(ctx, t_in->dims() == 2 && t_in->shape() == t_out->shape(),
                errors::InvalidArgument("w_in and w_out must be equal [vocab, dim]"));
    const int64_t vocab = t_in->dim_size(0);
    const int d = static_cast<int>(t_in->dim_size(1));

    const Tensor& targets = ctx->input(2);
    const Tensor& inputs = ctx->input(3);
    const Tensor& splits = ctx->input(4);
    const Tensor& negatives = ctx->input(5);
    const Tensor& lr_t = ctx->input(6);
    const int64_t n = targets.NumElements();
    OP_REQUIRES(ctx, negatives.dims() == 2 && negatives.dim_size(0) == n,
                errors::InvalidArgument("negatives must be [n, k]"));
    OP_REQUIRES(ctx, lr_t.NumElements() == 2, errors::InvalidArgument("lr must be [2]"));
    const int k = static_cast<int>(negatives.dim_size(1));
    if (cbow_) {
      OP_REQUIRES(ctx, splits.NumElements() == n + 1,
                  errors::InvalidArgument("row_splits must be [n + 1]"));
    } else {
      OP_REQUIRES(ctx, inputs.NumElements() == n,
                  errors::InvalidArgument("inputs must match targets"));
    }
    const int32* c = targets.flat<int32>().data();
    const int32* o = inputs.flat<int32>().data();
    const int64_t* rs = splits.flat<int64_t>().data();
    const int32* neg = negatives.flat<int32>().data();
    // Check every id once, so the hot loop can trust them.
    auto bad = [vocab](const int32* p, int64_t m) {
      for (int64_t i = 0; i < m; ++i) if (p[i] < 0 || p[i] >= vocab) return true;
      return false;
    };
    OP_REQUIRES(ctx, !bad(c, n) && !bad(o, inputs.NumElements()) &&
                         !bad(neg, negatives.NumElements()),
                errors::InvalidArgument("word id out of range [0, vocab)"));
    const float lr0 = lr_t.flat<float>()(0), lr1 = lr_t.flat<float>()(1);
    float* win = t_in->flat<float>().data();
    float* wout = t_out->flat<float>().data();

    const int threads = static_cast<int>(std::max<int64_t>(
        1, std::min<int64_t>(num_threads_, n / 1024)));
    std::vector<double> loss(threads, 0.0);
    // The chunk is cut into regions (at least two, one per thread beyond that)
    // that lie far apart in the corpus, and every thread takes its blocks from
    // the regions in turn. So even one thread trains two interleaved streams of
    // text instead of one (as gensim's two workers train two 10,000-word jobs at
    // once), which measurably helps the vectors (README, Backends), and
    // concurrent threads mostly touch different rows. Within a region, blocks
    // come from the region's counter in corpus order; a thread whose regions
    // ran dry helps with the others', so a thread the OS pauses (2 cores, a
    // data-preparation thread beside us) never leaves the rest waiting.
    constexpr int64_t kBlock = 256;
    const int regions = static_cast<int>(std::min<int64_t>(
        std::max(threads, 2), std::max<int64_t>(1, n / kBlock)));
    const int64_t region = (n + regions - 1) / regions;
    std::vector<std::atomic<int64_t>> next(regions);
    for (int r = 0; r < regions; ++r) next[r] = r * region;
    auto take = [&](int start, int64_t* lo, int64_t* hi) {
      for (int k = 0; k < regions; ++k) {
        const int r = (start + k) % regions;
        const int64_t end = std::min(n, (r + 1) * region);
        const int64_t got = next[r].fetch_add(kBlock);
        if (got < end) {
          *lo = got;
          *hi = std::min(end, got + kBlock);
          return true;
        }
      }
      return false;
    };
    auto work = [&](int t) {
      std::vector<float> grad(d), h(d);
      double acc = 0.0;
      int turn = t;  // thread t starts on region t, then takes the next region's block each time
      for (int64_t lo, hi; take(turn++ % regions, &lo, &hi);) {
       for (int64_t i = lo; i < hi; ++i) {
        const float lr = lr0 + (lr1 - lr0) * (n > 1 ? float(i) / float(n - 1) : 0.f);
        std::fill(grad.begin(), grad.end(), 0.f);
        const int32 target = c[i];
        float* in_row = nullptr;
        int64_t b = 0, e = 0;
        if (cbow_) {
          b = rs[i]; e = rs[i + 1];
          if (e <= b) continue;
          std::fill(h.begin(), h.end(), 0.f);
          for (int64_t j = b; j < e; ++j) Axpy(1.f, win + int64_t(o[j]) * d, h.data(), d);
          const float inv = 1.f / float(e - b);
          for (int q = 0; q < d; ++q) h[q] *= inv;
        } else {
          in_row = win + int64_t(o[i]) * d;
        }
        const float* hp = cbow_ ? h.data() : in_row;
        acc += Term(hp, wout + int64_t(target) * d, 1, lr, grad.data(), d);
        for (int q = 0; q < k; ++q) {
          const int32 w = neg[i * k + q];
          if (w == target) continue;  // word2vec.c: never push the positive away
          acc += Term(hp, wout + int64_t(w) * d, 0, lr, grad.data(), d);
        }
        if (cbow_) {
          for (int64_t j = b; j < e; ++j) Axpy(1.f, grad.data(), win + int64_t(o[j]) * d, d);
        } else {
          Axpy(1.f, grad.data(), in_row, d);
        }
       }
      }
      loss[t] = acc;
    };
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
      for (auto& th : pool) th.join();
    }
    double total = 0.0;
    for (double x : loss) total += x;
    Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({2}), &out));
    out->flat<float>()(0) = static_cast<float>(total);
    out->flat<float>()(1) = static_cast<float>(n);
  }

 private:
  // Copy-on-write: if a reader still holds the variable's buffer (a snapshot
  // taken with .numpy()), give the variable a private copy before mutating it.
  static Status Unshare(OpKernelContext* ctx, Var* var) {
    Tensor* t = var->tensor();
    if (t->RefCountIsOne()) return absl::OkStatus();
    Tensor copy;
    TF_RETURN_IF_ERROR(ctx->allocate_temp(t->dtype(), t->shape(), &copy));
    std::copy_n(t->flat<float>().data(), t->NumElements(), copy.flat<float>().data());
    *t = copy;
    return absl::OkStatus();
  }

  bool cbow_;
  int num_threads_;
};

REGISTER_KERNEL_BUILDER(Name("Word2vecNegTrain").Device(DEVICE_CPU), Word2vecNegTrainOp);
