package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Learned absolute position embeddings added to a sequence (BERT's {@code position_embeddings}):
 * {@code y[b, t] = x[b, t] + weight[t]} for x (B, T, D) with T <= maxLength. The parameter is
 * {@code weight} (maxLength, D), as an {@code nn.Embedding} of the position ids 0..T-1.
 *
 * <pre>{@code
 * PositionalEmbedding pos = new PositionalEmbedding(512, 128);   // N(0, 1) init like nn.Embedding
 * Tensor y = pos.forward(tokens, true);                           // tokens [B, T, 128], T <= 512
 * }</pre>
 *
 * Kernels: {@code embedding_forward} (gathers the T rows for every batch row), {@code add};
 * backward passes dy through as dx and scatters it into the weight gradient
 * ({@code embedding_backward}).
 */
public final class PositionalEmbedding extends Layer {
  private final int maxLength, dim;
  private final Parameter weight;
  private final String name;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;

  private static final class Buffers implements AutoCloseable {
    final int[] ids;   // position of every (b, t): t
    final Tensor pos, pos2d, y;
    Tensor dySrc, dy2;   // (B T, D) view of the last gradient, reused while the same tensor comes back
    Buffers(PositionalEmbedding l, int batch, int steps) {
      ids = new int[batch * steps];
      for (int i = 0; i < ids.length; i++) ids[i] = i % steps;
      pos = Tensor.zeros(l.device(), batch, steps, l.dim);
      pos2d = pos.reshape(batch * steps, l.dim);
      y = Tensor.zeros(l.device(), batch, steps, l.dim);
    }
    @Override public void close() { Tensor.closeAll(pos, y); }
  }

  public PositionalEmbedding(int maxLength, int dim) {
    if (maxLength < 1 || dim < 1) throw new IllegalArgumentException("PositionalEmbedding(" + maxLength + ", " + dim + "): sizes must be >= 1");
    this.maxLength = maxLength;
    this.dim = dim;
    this.name = "PositionalEmbedding(" + maxLength + ", " + dim + ")";
    this.weight = new Parameter("weight", device(), maxLength, dim);
    initialize(new SplittableRandom(0));
  }

  public int maxLength() { return maxLength; }
  public int dim() { return dim; }
  public Parameter weight() { return weight; }

  @Override public String name() { return name; }
  @Override public int inputFeatures() { return dim; }
  @Override protected List<Parameter> ownParameters() { return List.of(weight); }

  /** N(0, 1), as nn.Embedding. */
  @Override
  public void initialize(SplittableRandom rng) {
    Tensor w = weight.value();
    writeFromHost(w, (a, off) -> {
      for (int i = 0; i < w.size(); i += 2) {
        double[] z = Init.gaussianPair(rng);
        a[off + i] = (float) z[0];
        if (i + 1 < w.size()) a[off + i + 1] = (float) z[1];
      }
    });
  }

  @Override
  public int[] outputShape(int[] s) {
    if (s.length != 3 || s[2] != dim || s[1] > maxLength)
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " must be [batch, steps <= " + maxLength + ", " + dim + "]");
    return s.clone();
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    if (x.rank() != 3 || x.dim(2) != dim || x.dim(1) > maxLength) outputShape(x.shape());   // throws, naming the shape
    Buffers b = cache.get(x);
    if (b == null) b = cache.put(x, new Buffers(this, x.dim(0), x.dim(1)));
    backend.embeddingForward(b.ids, 0, weight.value(), b.pos2d);
    backend.add(x, b.pos, b.y);
    last = b;
    return b.y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    if (last.dySrc != dy) {
      last.dy2 = dy.reshape(last.ids.length, dim);
      last.dySrc = dy;
    }
    backend.embeddingBackward(last.ids, 0, last.dy2, weight.grad(), -1);
    return inputGradRequired() ? dy : null;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
  }
}
