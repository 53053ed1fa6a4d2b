package dev.jnn.cli;

import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.data.text.LabelledText;
import dev.jnn.data.text.LicenseTexts;
import dev.jnn.data.text.MaskedLmData;
import dev.jnn.data.text.Tokenizer;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Bert;
import dev.jnn.optim.Adam;
import dev.jnn.optim.AdamW;
import dev.jnn.optim.LrSchedule;
import dev.jnn.tensor.Device;
import dev.jnn.train.BertExamples;
import dev.jnn.train.EpochLog;
import dev.jnn.train.Evaluation;
import dev.jnn.train.FitOptions;
import dev.jnn.train.Model;
import dev.jnn.train.SequenceExamples;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jnn train bert}: pre-trains a small BERT-style encoder with a masked-language-model loss
 * on the licence and copyright texts of a Debian machine, then fine-tunes it on the sentence task
 * of {@code jnn train text-classifier} and prints its held-out accuracy beside that command's
 * network trained in the same run. Data: {@link MaskedLmData}; models: {@link BertExamples}.
 *
 * <pre>
 * ./jnn train bert                                        # defaults: 4 layers, d 128, 4 heads, ff 512, sequence 64
 * ./jnn train bert --pretrain-epochs 10 --layers 6 --save cls.safetensors --save-pretrained mlm.safetensors
 * </pre>
 */
@Command(name = "bert", description = "Pre-train a small BERT-style encoder (masked-language model) on /usr/share/common-licenses and "
    + "/usr/share/doc/*/copyright, then fine-tune it on the GPL-3 vs Apache-2.0 sentences of 'train text-classifier' and compare.")
final class BertTrainCommand implements Callable<Integer> {
  @Mixin DeviceOption device;

  @Option(names = {"--pretrain-epochs", "--epochs"}, defaultValue = "2", description = "pre-training epochs (default: ${DEFAULT-VALUE})")
  int pretrainEpochs;

  @Option(names = "--finetune-epochs", defaultValue = "20", description = "fine-tuning epochs (default: ${DEFAULT-VALUE})")
  int finetuneEpochs;

  @Option(names = "--layers", defaultValue = "4", description = "encoder layers (default: ${DEFAULT-VALUE})")
  int layers;

  @Option(names = "--hidden", defaultValue = "128", description = "model width d (default: ${DEFAULT-VALUE})")
  int hidden;

  @Option(names = "--heads", defaultValue = "4", description = "attention heads (default: ${DEFAULT-VALUE})")
  int heads;

  @Option(names = "--intermediate", defaultValue = "512", description = "feed-forward width (default: ${DEFAULT-VALUE})")
  int intermediate;

  @Option(names = "--seq-len", defaultValue = "64", description = "pre-training sequence length, [CLS] included (default: ${DEFAULT-VALUE})")
  int seqLen;

  @Option(names = "--max-words", defaultValue = "8000", description = "vocabulary words kept, most frequent first (default: ${DEFAULT-VALUE})")
  int maxWords;

  @Option(names = "--batch-size", defaultValue = "32", description = "batch size (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--lr", defaultValue = "1e-3", description = "pre-training peak learning rate, AdamW (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--finetune-lr", defaultValue = "2e-4", description = "fine-tuning peak learning rate, AdamW (default: ${DEFAULT-VALUE})")
  double finetuneLr;

  @Option(names = "--corpus", defaultValue = "all", description = "all (licences and copyright files) or licences (default: ${DEFAULT-VALUE})")
  String corpus;

  @Option(names = "--limit", defaultValue = "8000", description = "pre-train on N training sequences drawn at random (seeded), 0: all of them; "
      + "bounds the run time however many packages the machine has (default: ${DEFAULT-VALUE}); the held-out text stays whole")
  int limit;

  @Option(names = "--seed", defaultValue = "7", description = "seed of the splits, masking, initialization and shuffling (default: ${DEFAULT-VALUE}, "
      + "the text classifier's split)")
  long seed;

  @Option(names = "--save", description = "save the fine-tuned classifier (safetensors, Model.load) and its tokenizer as FILE.tokenizer.txt")
  Path save;

  @Option(names = "--save-pretrained", description = "save the pre-trained masked-language model (safetensors, Model.load) and FILE.tokenizer.txt")
  Path savePretrained;

  @Mixin ProfileOptions profile;

  /** Fraction of the unique paragraphs held out for the masked-LM figures. */
  static final double HELD_OUT = 0.1;
  /** Share of the optimizer steps spent on the linear warm-up. */
  static final double WARMUP = 0.1;

  @Override
  public Integer call() throws IOException {
    long start = System.nanoTime();
    Cli.atLeast("--pretrain-epochs", pretrainEpochs, 1);
    Cli.atLeast("--finetune-epochs", finetuneEpochs, 1);
    Cli.atLeast("--layers", layers, 1);
    Cli.atLeast("--hidden", hidden, 1);
    Cli.atLeast("--heads", heads, 1);
    Cli.require(hidden % heads == 0, "--hidden " + hidden + " must be divisible by --heads " + heads);
    Cli.atLeast("--intermediate", intermediate, 1);
    Cli.atLeast("--seq-len", seqLen, LicenseTexts.MAX_LEN + 1);   // fine-tuning feeds [CLS] and up to MAX_LEN words
    Cli.atLeast("--max-words", maxWords, 1);
    Cli.atLeast("--batch-size", batchSize, 1);
    Cli.positive("--lr", lr);
    Cli.positive("--finetune-lr", finetuneLr);
    Cli.require(corpus.equals("all") || corpus.equals("licences"), "--corpus must be all or licences, got " + corpus);
    Cli.atLeast("--limit", limit, 0);
    if (save != null) Cli.writableFile("--save", save);
    if (savePretrained != null) Cli.writableFile("--save-pretrained", savePretrained);
    profile.validate();
    try (DistributedRun dist = DistributedRun.join(device.resolve())) {   // jnn launch / torchrun: data-parallel, rank 0 prints and saves
      return train(dist, start);
    }
  }

  private int train(DistributedRun dist, long start) throws IOException {
    Device d = dist.device();

    MaskedLmData.Sources src;
    MaskedLmData.Corpus c;
    LabelledText.Task task;
    try {
      src = MaskedLmData.debianTexts(corpus.equals("all"));
      c = MaskedLmData.prepare(src.documents(), maxWords, seqLen, HELD_OUT, seed);
      task = LicenseTexts.task(seed, LicenseTexts.HELD_OUT, 998, LicenseTexts.MAX_LEN);   // the text classifier's split and baseline vocabulary
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("jnn: " + e.getMessage());
      return FashionMnistCommands.DATA_ERROR;
    }
    MaskedLmData.Vocabulary v = c.vocabulary();
    MaskedLmData.Windows train = limit == 0 ? c.train() : c.train().sample(limit, seed);
    int k = MaskedLmData.maskedPositions(seqLen);
    System.out.printf(Locale.ROOT, "corpus: %d licence files (%s)%s, %.1f MB of text%s%n", src.licenceFiles(), LicenseTexts.DIR,
        src.copyrightFiles() > 0 ? String.format(Locale.ROOT, " + %d copyright files (%s/*/copyright)", src.copyrightFiles(), MaskedLmData.DOC_DIR) : "",
        src.bytes() / 1e6, src.skipped().isEmpty() ? "" : "; skipped " + src.skipped().size() + " (first: " + src.skipped().get(0) + ")");
    System.out.printf(Locale.ROOT, "  %d paragraphs, %d unique (repeats dropped), %.0f%% of those held out at random: %,d training words -> %d sequences of %d%s, "
        + "%,d held-out words -> %d sequences%n", c.paragraphs(), c.uniqueParagraphs(), 100 * HELD_OUT, c.trainWords(), c.train().count(), seqLen,
        train.count() == c.train().count() ? "" : " (--limit: " + train.count() + " of them, at random)", c.heldOutWords(), c.heldOut().count());
    System.out.printf(Locale.ROOT, "vocabulary: %d words (ids 2..%d) + <pad> 0, <oov> 1, [MASK] %d, [CLS] %d = %d ids; %.1f%% of the held-out words are <oov>%n",
        v.tokenizer().size() - 2, v.tokenizer().size() - 1, v.mask(), v.cls(), v.size(), 100.0 * count(c.heldOut(), Tokenizer.OOV) / c.heldOutWords());
    System.out.printf(Locale.ROOT, "masking: %d of %d positions per sequence (round(0.15 x %d), among the words, never [CLS]), %.0f%% -> [MASK], %.0f%% -> a random "
        + "word, %.0f%% unchanged; new positions every epoch%n", k, seqLen, seqLen, 100 * MaskedLmData.TO_MASK, 100 * MaskedLmData.TO_RANDOM,
        100 * (1 - MaskedLmData.TO_MASK - MaskedLmData.TO_RANDOM));

    // ---------------------------------------------------------------- pre-training
    SplittableRandom masks = new SplittableRandom(seed);
    Dataset trainSet = MaskedLmData.mask(train, v, k, masks.split());
    Dataset heldOut = MaskedLmData.mask(c.heldOut(), v, k, new SplittableRandom(seed ^ 0x5DEECE66DL));   // fixed: epochs compare alike
    Unigram uni = Unigram.of(train, v.size(), heldOut);
    Bert.Config cfg = BertExamples.config(v.size(), seqLen, hidden, layers, heads, intermediate);
    Model mlm = BertExamples.maskedLm(cfg, seqLen, k, seed).to(d);
    int steps = pretrainEpochs * ceilDiv(train.count(), batchSize);
    dist.wrap(mlm.compile(new SoftmaxCrossEntropyLoss(), optimizer(lr, steps)));
    System.out.printf(Locale.ROOT, "device %s (%s)%n", d, Backends.get(d).describe());
    System.out.println(mlm.summary(new int[][] {{-1, seqLen}, {-1, seqLen}, {-1, k}}));
    System.out.printf(Locale.ROOT, "pre-training: %d epoch(s) of %d steps, batch %d, AdamW lr %s (%.0f%% warm-up, cosine decay), weight decay 0.01, "
        + "clip 1.0; held out: %d sequences, %d masked tokens (a unigram model scores accuracy %.2f%%, perplexity %.1f)%n", pretrainEpochs,
        steps / pretrainEpochs, batchSize, number(lr), 100 * WARMUP, heldOut.size(), heldOut.size() * k, 100 * uni.accuracy(), uni.perplexity());
    FitOptions.Builder fo = FitOptions.builder().epochs(pretrainEpochs).batchSize(batchSize).seed(seed).validation(heldOut)
        .callback(dist.progress(train.count(), System.out))
        .callback((EpochLog log) -> {
          System.out.printf(Locale.ROOT, "  held-out masked-token accuracy %.2f%%, perplexity %.2f (train: loss %.4f, perplexity %.2f)%n",
              100 * log.valAccuracy(), Math.exp(log.valLoss()), log.loss(), Math.exp(log.loss()));
          if (log.epoch() < log.epochs()) MaskedLmData.remask(trainSet, train, v, masks.split());
        });
    if (savePretrained != null) fo.callback(mlm.checkpointEvery(pretrainEpochs, savePretrained));
    profile.start();
    mlm.fit(trainSet, fo.build());
    profile.stop();
    if (savePretrained != null && dist.isLeader()) saveTokenizer(savePretrained, v, "the pre-trained masked-language model");
    long pretrained = System.nanoTime();

    // ---------------------------------------------------------------- fine-tuning and the baseline
    int len = 1 + LicenseTexts.MAX_LEN;
    Dataset ftTrain = MaskedLmData.encodeWithCls(task.train().examples(), v, len), ftHeld = MaskedLmData.encodeWithCls(task.heldOut().examples(), v, len);
    Model cls = BertExamples.classifier(cfg, len, seed).to(d);
    BertExamples.copyEncoder(mlm, cls);
    mlm.close();
    dist.wrap(cls.compile(new BceLoss(), optimizer(finetuneLr, finetuneEpochs * ceilDiv(ftTrain.size(), batchSize))));
    System.out.printf(Locale.ROOT, "%nfine-tuning on GPL-3 (0) vs Apache-2.0 (1) sentences (the text classifier's split): %d training, %d held out; "
        + "[CLS] + up to %d words, padding masked; the pre-trained encoder + BertPooler + Dense(%d, 1) + Sigmoid, BCE, AdamW lr %s, %d epochs%n",
        ftTrain.size(), ftHeld.size(), LicenseTexts.MAX_LEN, hidden, number(finetuneLr), finetuneEpochs);
    cls.fit(ftTrain, FitOptions.builder().epochs(finetuneEpochs).batchSize(batchSize).seed(seed).validation(ftHeld)
        .callback(dist.progress(ftTrain.size(), System.out)).build());
    Evaluation bert = cls.evaluate(ftHeld, 64);
    if (save != null && dist.isLeader()) {
      cls.save(save);
      saveTokenizer(save, v, "the fine-tuned classifier");
    }
    cls.close();
    long finetuned = System.nanoTime();

    Model base = SequenceExamples.textClassifier(task.tokenizer().size(), seed).to(d);   // jnn train text-classifier, same seed and split
    dist.wrap(base.compile(new BceLoss(), Adam.builder().lr(1e-2).build()));
    base.fit(task.train().dataset(), FitOptions.builder().epochs(30).batchSize(32).seed(seed).build());
    Evaluation baseline = base.evaluate(task.heldOut().dataset(), 64);
    base.close();
    int ones = 0;
    for (LabelledText.Example e : task.heldOut().examples()) ones += e.label();
    double majority = (double) Math.max(ones, task.heldOut().size() - ones) / task.heldOut().size();
    System.out.printf(Locale.ROOT, "held-out accuracy: BERT fine-tuned %.2f%% (loss %.4f) | baseline Embedding(1000, 16) + average pool, 30 epochs "
        + "(jnn train text-classifier) %.2f%% (loss %.4f) | majority class %.2f%%%n", 100 * bert.accuracy(), bert.loss(), 100 * baseline.accuracy(),
        baseline.loss(), 100 * majority);
    System.out.printf(Locale.ROOT, "time: pre-training %s, fine-tuning %s, baseline %s; total %s%s%n", clock(pretrained - start), clock(finetuned - pretrained),
        clock(System.nanoTime() - finetuned), clock(System.nanoTime() - start), save == null && savePretrained == null ? ""
            : "; saved" + (savePretrained == null ? "" : " " + savePretrained) + (save == null ? "" : " " + save));
    return 0;
  }

  /** AdamW (weight decay 0.01, clip 1.0) with a linear warm-up over {@value #WARMUP} of the steps, then cosine decay to 0. */
  private static AdamW optimizer(double peak, int steps) {
    int warm = (int) Math.max(1, Math.round(WARMUP * steps));
    return AdamW.builder().lr(peak).weightDecay(0.01).clipGlobalNorm(1.0).schedule(LrSchedule.warmup(warm, LrSchedule.cosine(peak, Math.max(1, steps - warm))))
        .build();
  }

  /** 0.001, 0.0002: a learning rate as typed. */
  private static String number(double x) { return java.math.BigDecimal.valueOf(x).stripTrailingZeros().toPlainString(); }

  private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

  private static long count(MaskedLmData.Windows w, int id) {
    long n = 0;
    for (int x : w.ids()) if (x == id) n++;
    return n;
  }

  private static String clock(long nanos) {
    long s = Math.round(nanos / 1e9);
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  private static void saveTokenizer(Path model, MaskedLmData.Vocabulary v, String what) throws IOException {
    Path f = model.resolveSibling(model.getFileName() + ".tokenizer.txt");
    Files.writeString(f, v.tokenizer().serialize() + "\n", StandardCharsets.UTF_8);
    System.out.printf(Locale.ROOT, "saved %s to %s and its tokenizer to %s (Tokenizer.parse; [MASK] = %d, [CLS] = %d after its ids)%n", what, model, f,
        v.mask(), v.cls());
  }

  /**
   * The held-out figures of a unigram model (every masked token predicted from the training
   * words' frequencies, add-one smoothed): what the encoder must beat to have learnt context.
   */
  record Unigram(double accuracy, double perplexity) {
    static Unigram of(MaskedLmData.Windows train, int vocabulary, Dataset heldOut) {
      double[] counts = new double[vocabulary];
      java.util.Arrays.fill(counts, 1);
      int skip = train.length();
      for (int i = 0; i < train.ids().length; i++) if (i % skip != 0) counts[train.ids()[i]]++;   // position 0 is [CLS]
      double total = 0;
      int best = 0;
      for (int i = 0; i < vocabulary; i++) {
        total += counts[i];
        if (counts[i] > counts[best]) best = i;
      }
      float[] t = heldOut.targets().toArray();
      double nll = 0;
      int right = 0;
      for (float y : t) {
        nll -= Math.log(counts[(int) y] / total);
        if ((int) y == best) right++;
      }
      return new Unigram((double) right / t.length, Math.exp(nll / t.length));
    }
  }
}
