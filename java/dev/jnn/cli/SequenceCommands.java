package dev.jnn.cli;

import dev.jnn.data.text.CharLmData;
import dev.jnn.data.text.LabelledText;
import dev.jnn.data.text.LicenseTexts;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.train.Model;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.train.EpochLog;
import dev.jnn.train.Evaluation;
import dev.jnn.train.FitOptions;
import dev.jnn.train.SequenceExamples;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jnn train char-lstm} and {@code jnn train text-classifier}. */
final class SequenceCommands {
  private SequenceCommands() {}

  @Command(name = "char-lstm", description = "Character-level language model: Embedding -> 2 x LSTM(128) -> Dense softmax at every step, "
      + "Adam; prints loss/perplexity per epoch and a generated sample.")
  static final class CharLstm implements Callable<Integer> {
    @Option(names = "--text", description = "UTF-8 text file to learn (default: ${DEFAULT-VALUE})", defaultValue = "/usr/share/common-licenses/GPL-3")
    Path text;

    @Mixin DeviceOption device;

    @Option(names = "--epochs", defaultValue = "20", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--seq-len", defaultValue = "100", description = "characters per training sequence, 64-100 typical (default: ${DEFAULT-VALUE})")
    int seqLen;

    @Option(names = "--batch-size", defaultValue = "32", description = "batch size (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "2e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--seed", defaultValue = "1", description = "seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--prompt", defaultValue = "The ", description = "text the samples start from (default: '${DEFAULT-VALUE}')")
    String prompt;

    @Option(names = "--temperature", defaultValue = "0.8", description = "sampling temperature (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--sample-length", defaultValue = "200", description = "characters generated after each epoch (default: ${DEFAULT-VALUE})")
    int sampleLength;

    @Mixin ProfileOptions profile;

    @Override
    public Integer call() {
      Cli.atLeast("--epochs", epochs, 1);
      Cli.atLeast("--seq-len", seqLen, 2);
      Cli.atLeast("--batch-size", batchSize, 1);
      Cli.positive("--lr", lr);
      Cli.positive("--temperature", temperature);
      Cli.atLeast("--sample-length", sampleLength, 0);
      Cli.readableFile("--text", text);
      profile.validate();
      try (DistributedRun dist = DistributedRun.join(device.resolve())) {   // jnn launch / torchrun: data-parallel, rank 0 prints
        return train(dist);
      }
    }

    private int train(DistributedRun dist) {
      Device d = dist.device();
      CharLmData.Corpus c;
      try {
        c = CharLmData.load(text, seqLen, seqLen, 0.1);
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("jnn: " + e.getMessage());
        return FashionMnistCommands.DATA_ERROR;
      }
      Model m = SequenceExamples.charLstm(c.vocabulary().size(), seed).to(d);
      dist.wrap(m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(lr).clipGlobalNorm(5.0).build()));
      System.out.printf(Locale.ROOT, "%s: %d characters, vocabulary %d; %d training and %d validation sequences of %d; device %s%n", text,
          c.ids().length, c.vocabulary().size(), c.train().size(), c.validation().size(), seqLen, d);
      System.out.println(m.summary(seqLen));
      SplittableRandom rng = new SplittableRandom(seed);
      profile.start();
      m.fit(c.train(), FitOptions.builder().epochs(epochs).batchSize(batchSize).seed(seed).validation(c.validation())
          .callback(dist.onLeader((EpochLog log) -> {
            System.out.printf(Locale.ROOT, "epoch %d/%d: loss %.4f (perplexity %.2f) | validation loss %.4f (perplexity %.2f), acc %.4f | %.1f s%n",
                log.epoch(), log.epochs(), log.loss(), Math.exp(log.loss()), log.valLoss(), Math.exp(log.valLoss()), log.valAccuracy(), log.seconds());
            System.out.println("  sample: " + SequenceExamples.sample(m, c.vocabulary(), prompt, sampleLength, temperature, rng).replace("\n", "\n          "));
          })).build());
      profile.stop();
      m.close();   // on a GPU: the model's memory back to the pool
      return 0;
    }
  }

  @Command(name = "text-classifier", description = "Embedding(1000, 16) -> GlobalAvgPool1d -> Dense(24, ReLU) -> Dense(1, Sigmoid), BCE, Adam: "
      + "tell GPL-3 sentences from Apache-2.0 ones, on a held-out split.")
  static final class TextClassifier implements Callable<Integer> {
    @Mixin DeviceOption device;

    @Option(names = "--epochs", defaultValue = "30", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--seed", defaultValue = "7", description = "seed of the split, initialization and shuffling (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin ProfileOptions profile;

    @Override
    public Integer call() {
      Cli.atLeast("--epochs", epochs, 1);
      profile.validate();
      try (DistributedRun dist = DistributedRun.join(device.resolve())) {   // jnn launch / torchrun: data-parallel, rank 0 prints
        return train(dist);
      }
    }

    private int train(DistributedRun dist) {
      Device d = dist.device();
      LabelledText.Task t;
      try {
        t = LicenseTexts.task(seed, LicenseTexts.HELD_OUT, 998, LicenseTexts.MAX_LEN);   // 998 words + <pad> + <oov> = 1000 ids
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("jnn: " + e.getMessage());
        return FashionMnistCommands.DATA_ERROR;
      }
      Model m = SequenceExamples.textClassifier(t.tokenizer().size(), seed).to(d);
      dist.wrap(m.compile(new BceLoss(), Adam.builder().lr(1e-2).build()));
      int majority = majorityCount(t.heldOut());
      System.out.printf(Locale.ROOT, "GPL-3 (0) vs Apache-2.0 (1) sentences: %d training, %d held out; vocabulary %d ids, length %d; device %s%n",
          t.train().size(), t.heldOut().size(), t.tokenizer().size(), t.maxLen(), d);
      System.out.println(m.summary(t.maxLen()));
      int every = Math.max(1, epochs / 10);
      profile.start();
      m.fit(t.train().dataset(), FitOptions.builder().epochs(epochs).batchSize(32).seed(seed).validation(t.heldOut().dataset())
          .callback((EpochLog log) -> {
            if (log.epoch() == 1 || log.epoch() % every == 0 || log.epoch() == log.epochs()) System.out.println(log.format());
          }).build());
      profile.stop();
      Evaluation e = m.evaluate(t.heldOut().dataset(), 64);
      System.out.printf(Locale.ROOT, "held-out accuracy %.2f%% (loss %.4f); always answering the majority class would score %.2f%%%n",
          100 * e.accuracy(), e.loss(), 100.0 * majority / t.heldOut().size());
      m.close();
      return 0;
    }

    private static int majorityCount(LabelledText.Encoded set) {
      int ones = 0;
      for (LabelledText.Example ex : set.examples()) ones += ex.label();
      return Math.max(ones, set.size() - ones);
    }
  }
}
