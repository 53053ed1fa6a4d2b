package dev.jnn.train;

import java.util.Locale;

/**
 * Result of {@code evaluate}: mean loss over the samples and accuracy (NaN when the loss defines
 * none).
 */
public record Evaluation(double loss, double accuracy, int samples) {
  public boolean hasAccuracy() { return !Double.isNaN(accuracy); }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "loss %.4f", loss) + (hasAccuracy() ? String.format(Locale.ROOT, ", accuracy %.4f", accuracy) : "")
        + " (" + samples + " samples)";
  }
}
