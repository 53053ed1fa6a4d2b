package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A lookup table of {@code numEmbeddings} vectors of size {@code dim} (PyTorch's {@code nn.Embedding}):
 * token ids (B, T), given as a float tensor of integral values like class ids elsewhere in jnn,
 * become vectors (B, T, D). Any rank >= 1 of ids works: the output appends the axis D.
 *
 * <pre>{@code
 * Embedding e = new Embedding(10_000, 64);        // N(0, 1) init, as PyTorch
 * Embedding p = new Embedding(10_000, 64, 0);     // id 0 is padding: its row is zero and gets no gradient
 * Tensor v = e.forward(ids, true);                // ids [B, T] -> v [B, T, 64]
 * e.backward(dv);                                 // writes e.weight().grad(); returns null (ids have no gradient)
 * }</pre>
 *
 * The ids are converted once per forward into an {@code int[]} the layer keeps per shape (no
 * allocation in steady state), each checked to be integral and in [0, numEmbeddings). On a
 * device the ids tensor is first copied down into a reused host buffer (the embedding kernels
 * take host {@code int[]} ids).
 * Kernels: {@code embedding_forward} (a gather) and {@code embedding_backward} (a scatter-add that
 * overwrites the weight gradient and leaves the padding row at 0).
 */
public final class Embedding extends Layer {
  private final int num, dim, paddingIdx;
  private final Parameter weight;
  private final String name;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;

  private float[] hostIds = new float[0];   // device ids are read on the host (the kernels take int[] ids)

  private static final class Buffers implements AutoCloseable {
    final int[] ids;
    final Tensor y, y2;   // y: ids shape + [D]; y2: the same storage as (n, D)
    Tensor dySrc, dy2;    // (n, D) view of the last gradient, reused while the same tensor comes back

    Buffers(Embedding e, int[] idShape) {
      ids = new int[Tensor.sizeOf(idShape)];
      int[] s = java.util.Arrays.copyOf(idShape, idShape.length + 1);
      s[idShape.length] = e.dim;
      y = Tensor.zeros(e.device(), s);
      y2 = y.reshape(ids.length, e.dim);
    }
    @Override public void close() { y.close(); }
  }

  public Embedding(int numEmbeddings, int dim) { this(numEmbeddings, dim, -1); }

  /** With {@code paddingIdx} in [0, numEmbeddings) (or -1 for none): that row is zero and never updated by gradients. */
  public Embedding(int numEmbeddings, int dim, int paddingIdx) {
    if (numEmbeddings < 1 || dim < 1)
      throw new IllegalArgumentException("Embedding(" + numEmbeddings + ", " + dim + "): numEmbeddings and dim must be >= 1");
    if (paddingIdx < -1 || paddingIdx >= numEmbeddings)
      throw new IllegalArgumentException("Embedding(" + numEmbeddings + ", " + dim + "): paddingIdx " + paddingIdx + " must be in [0, " + numEmbeddings
          + ") or -1 for none");
    this.num = numEmbeddings;
    this.dim = dim;
    this.paddingIdx = paddingIdx;
    this.name = "Embedding(" + numEmbeddings + ", " + dim + (paddingIdx >= 0 ? ", padding " + paddingIdx : "") + ")";
    this.weight = new Parameter("weight", device(), numEmbeddings, dim);
    initialize(new SplittableRandom(0));
  }

  public int numEmbeddings() { return num; }
  public int dim() { return dim; }
  /** The padding id, or -1. */
  public int paddingIdx() { return paddingIdx; }
  /** Weight (numEmbeddings, dim). */
  public Parameter weight() { return weight; }

  @Override public String name() { return name; }
  @Override protected List<Parameter> ownParameters() { return List.of(weight); }
  /** Always false: integer ids have no gradient (backward returns null). */
  @Override public boolean inputGradRequired() { return false; }

  /** N(0, 1) as PyTorch, the padding row zero. */
  @Override
  public void initialize(SplittableRandom rng) {
    Tensor w = weight.value();
    int n = w.size();
    writeFromHost(w, (d, off) -> {
      for (int i = 0; i < n; i += 2) {
        double[] z = Init.gaussianPair(rng);
        d[off + i] = (float) z[0];
        if (i + 1 < n) d[off + i + 1] = (float) z[1];
      }
      if (paddingIdx >= 0) java.util.Arrays.fill(d, off + paddingIdx * dim, off + (paddingIdx + 1) * dim, 0f);
    });
  }

  @Override
  public int[] outputShape(int[] s) {
    if (s.length < 1) throw new IllegalArgumentException(name + ": ids " + shapeString(s) + " must have rank >= 1 (e.g. [batch, steps])");
    int[] r = java.util.Arrays.copyOf(s, s.length + 1);
    r[s.length] = dim;
    return r;
  }

  @Override
  public Tensor forward(Tensor ids, boolean training) {
    checkInput(ids);
    Buffers b = cache.get(ids);
    if (b == null) {
      outputShape(ids.shape());
      b = cache.put(ids, new Buffers(this, ids.shape()));
    }
    // host ids are read in place; device ids are copied down once into a reused host buffer
    float[] d = ids.hostView(hostIds);
    if (!ids.isHost()) hostIds = d;
    int off = ids.hostStart();
    for (int i = 0; i < b.ids.length; i++) {
      float v = d[off + i];
      int k = (int) v;
      if (k != v || k < 0 || k >= num)
        throw new IllegalArgumentException(name + ": ids " + ids.shapeString() + " element " + i + " is " + v + "; ids must be integers in [0, " + num + ")");
      b.ids[i] = k;
    }
    backend.embeddingForward(b.ids, 0, weight.value(), b.y2);
    last = b;
    return b.y;
  }

  /** Writes the weight gradient; returns null (integer ids have no gradient). */
  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    if (last.dySrc != dy) {
      last.dy2 = dy.reshape(last.ids.length, dim);
      last.dySrc = dy;
    }
    backend.embeddingBackward(last.ids, 0, last.dy2, weight.grad(), paddingIdx);
    return null;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
  }
}
