/**
 * CIFAR-10: both official formats, the assignment's preprocessing, download,
 * and a synthetic stand-in. See docs/data.md.
 */
export { loadCifar10, loadCifar10At, findCifar10, LAYOUTS } from "./cifar10.js";
export type { Cifar10Kind, Cifar10Location, Cifar10Raw, FileCount } from "./cifar10.js";
export { concatBatches, parseBinaryBatch, parseBinaryMeta, parsePickledBatch, parsePickledMeta, IMAGE_BYTES, BIN_RECORD_BYTES, NUM_CLASSES } from "./formats.js";
export type { Batch } from "./formats.js";
export { unpickle } from "./pickle.js";
export { getCifar10Data } from "./preprocess.js";
export type { Cifar10Data, DataSource, GetCifar10DataOptions } from "./preprocess.js";
export { cacheDir, resolveDataDir, noDataMessage, NoDataError } from "./locate.js";
export type { ResolvedData, ResolveOptions } from "./locate.js";
export { downloadCifar10, DownloadError, CIFAR10_URL, CIFAR10_MD5, CIFAR10_BYTES } from "./download.js";
export type { DownloadOptions, DownloadProgress, DownloadResult } from "./download.js";
export { syntheticCifar, SYNTHETIC_LABEL_NAMES } from "./synthetic.js";
export type { SyntheticCifarOptions } from "./synthetic.js";
export { readTar, extractSafely, unsafePathReason } from "./archive.js";
