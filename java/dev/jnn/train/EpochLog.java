package dev.jnn.train;

import java.util.Locale;

/**
 * What one epoch of {@code fit} measured. Loss is the sample-weighted mean of the batch losses
 * (as Keras reports it); accuracy is NaN when the loss defines none (MSE); the validation fields
 * are NaN without validation data.
 *
 * @param epoch 1-based epoch number
 * @param epochs total epochs of the fit call
 * @param steps optimizer steps in this epoch
 * @param loss mean training loss over the epoch
 * @param accuracy training accuracy over the epoch (predictions judged during the training steps)
 * @param valLoss validation loss after the epoch
 * @param valAccuracy validation accuracy after the epoch
 * @param lr learning rate of the epoch's last step
 * @param seconds wall time of the epoch, validation included
 */
public record EpochLog(int epoch, int epochs, int steps, double loss, double accuracy, double valLoss, double valAccuracy, double lr,
                       double seconds) {

  public boolean hasAccuracy() { return !Double.isNaN(accuracy); }
  public boolean hasValidation() { return !Double.isNaN(valLoss); }

  /** One progress line: {@code epoch 3/100 - loss 0.4123 - acc 0.8120 - val_loss 0.4410 - val_acc 0.8000 - 0.02s}. */
  public String format() {
    StringBuilder sb = new StringBuilder();
    int w = Integer.toString(epochs).length();
    sb.append(String.format(Locale.ROOT, "epoch %" + w + "d/%d - loss %.4f", epoch, epochs, loss));
    if (hasAccuracy()) sb.append(String.format(Locale.ROOT, " - acc %.4f", accuracy));
    if (hasValidation()) sb.append(String.format(Locale.ROOT, " - val_loss %.4f", valLoss));
    if (!Double.isNaN(valAccuracy)) sb.append(String.format(Locale.ROOT, " - val_acc %.4f", valAccuracy));
    sb.append(String.format(Locale.ROOT, " - %.2fs", seconds));
    return sb.toString();
  }

  @Override
  public String toString() { return format(); }
}
