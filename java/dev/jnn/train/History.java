package dev.jnn.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The per-epoch record of a {@code fit} call (Keras' History): one {@link EpochLog} per epoch. */
public final class History {
  private final List<EpochLog> epochs = new ArrayList<>();

  void add(EpochLog log) { epochs.add(log); }

  public List<EpochLog> epochs() { return Collections.unmodifiableList(epochs); }

  public int size() { return epochs.size(); }

  /** The last epoch's log; throws if no epoch completed. */
  public EpochLog last() {
    if (epochs.isEmpty()) throw new IllegalStateException("History: no epoch completed");
    return epochs.get(epochs.size() - 1);
  }

  public double[] loss() { return column(0); }
  public double[] accuracy() { return column(1); }
  public double[] valLoss() { return column(2); }
  public double[] valAccuracy() { return column(3); }

  private double[] column(int c) {
    double[] r = new double[epochs.size()];
    for (int i = 0; i < r.length; i++) {
      EpochLog e = epochs.get(i);
      r[i] = c == 0 ? e.loss() : c == 1 ? e.accuracy() : c == 2 ? e.valLoss() : e.valAccuracy();
    }
    return r;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("History(").append(epochs.size()).append(" epochs)");
    for (EpochLog e : epochs) sb.append('\n').append(e.format());
    return sb.toString();
  }
}
