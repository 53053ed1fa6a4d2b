package dev.jnn.cli;

import dev.jnn.train.Callback;
import dev.jnn.train.EpochLog;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A live progress bar per epoch (samples done, running loss and accuracy, samples/s, ETA), then one
 * line with the epoch's training and held-out figures. Drawn by the progressbar library on stderr
 * by default, so piped stdout stays a clean log.
 */
final class ProgressBarCallback implements Callback {
  private final int samplesPerEpoch;
  private final PrintStream out;
  private ProgressBar bar;
  private int epochs;
  private int lastSeen;

  ProgressBarCallback(int samplesPerEpoch, PrintStream out) {
    this.samplesPerEpoch = samplesPerEpoch;
    this.out = out;
  }

  @Override
  public void onTrainBegin(int epochs, int stepsPerEpoch) { this.epochs = epochs; }

  @Override
  public void onBatchProgress(int epoch, int step, int samples, double meanLoss, double accuracy) {
    if (bar == null) {
      bar = new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch, epochs)).setInitialMax(samplesPerEpoch)
          .setUnit(" img", 1).showSpeed().setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setMaxRenderedLength(130).build();
      lastSeen = 0;
    }
    bar.stepBy(samples - lastSeen);
    lastSeen = samples;
    if (step % 20 == 1 || samples == samplesPerEpoch)
      bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f acc %.4f", meanLoss, accuracy));
  }

  @Override
  public void onEpochEnd(EpochLog log) {
    if (bar != null) {
      bar.close();
      bar = null;
    }
    out.printf(Locale.ROOT, "epoch %d/%d: train loss %.4f acc %.4f | test loss %.4f acc %.4f | %.1f s, %.0f samples/s%n", log.epoch(), log.epochs(),
        log.loss(), log.accuracy(), log.valLoss(), log.valAccuracy(), log.seconds(), samplesPerEpoch / log.seconds());
  }
}
