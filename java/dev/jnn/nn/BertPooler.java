package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.List;

/**
 * BERT's pooler: the first position's vector of a sequence output (B, T, d) through
 * {@code dense} (d, d) and tanh, a sentence vector (B, d) for classification heads. Parameters
 * {@code dense.weight}, {@code dense.bias} (Hugging Face's {@code pooler.dense}).
 *
 * <pre>{@code
 * Graph.Node sentence = g.apply("pooler", new BertPooler(128), seq);    // (B, T, 128) -> (B, 128)
 * }</pre>
 *
 * Kernels: {@code copy} (the first position of each sequence, a strided view per row), then
 * Dense's and Tanh's; backward writes dy into position 0 of a zero dx.
 */
public final class BertPooler extends Layer {
  private final int hidden;
  private final Dense dense;
  private final Tanh tanh = new Tanh();
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;

  private static final class Buffers implements AutoCloseable {
    final Tensor first, dx;
    final Tensor[] srcRows, dxRows, firstRows;
    Tensor src;
    Buffers(BertPooler p, Tensor x) {
      int b = x.dim(0), t = x.dim(1);
      first = Tensor.zeros(p.device(), b, p.hidden);
      dx = Tensor.zeros(p.device(), b, t, p.hidden);
      srcRows = new Tensor[b];
      dxRows = new Tensor[b];
      firstRows = new Tensor[b];
      Tensor dxFlat = dx.reshape(dx.size()), firstFlat = first.reshape(first.size());
      for (int i = 0; i < b; i++) {
        dxRows[i] = dxFlat.view(i * t * p.hidden, p.hidden);
        firstRows[i] = firstFlat.view(i * p.hidden, p.hidden);
      }
    }
    @Override public void close() { Tensor.closeAll(first, dx); }
  }

  public BertPooler(int hidden) {
    this.hidden = hidden;
    this.dense = new Dense(hidden, hidden);
  }

  public int hidden() { return hidden; }

  @Override public String name() { return "BertPooler(" + hidden + ")"; }
  @Override public List<Child> children() { return List.of(child("dense", dense), child("activation", tanh)); }

  @Override
  public int[] outputShape(int[] s) {
    if (s.length != 3 || s[2] != hidden) throw new IllegalArgumentException(name() + ": input " + shapeString(s) + " must be [batch, steps, " + hidden + "]");
    return new int[] {s[0], hidden};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    outputShape(x.shape());
    Buffers b = cache.get(x);
    if (b == null) b = cache.put(x, new Buffers(this, x));
    if (b.src != x) {   // views of each sequence's first position, rebuilt only for a new input tensor
      Tensor flat = x.reshape(x.size());
      for (int i = 0; i < b.srcRows.length; i++) b.srcRows[i] = flat.view(i * x.dim(1) * hidden, hidden);
      b.src = x;
    }
    for (int i = 0; i < b.srcRows.length; i++) backend.copy(b.srcRows[i], b.firstRows[i]);
    last = b;
    return tanh.call(dense.call(b.first, training), training);
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (last == null) throw new IllegalStateException(name() + ": backward called before forward");
    Tensor d = dense.callBackward(tanh.callBackward(dy));
    if (!inputGradRequired()) return null;
    backend.fill(last.dx, 0f);
    Tensor flat = d.reshape(d.size());
    for (int i = 0; i < last.dxRows.length; i++) backend.copy(flat.view(i * hidden, hidden), last.dxRows[i]);
    return last.dx;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
  }
}
