import type { Readable } from 'node:stream';
import { badRequest } from '../../../core/errors.js';
import type { Caller } from './models.js';

/** An image's bytes and the facts block storage needs about them. */
export interface OpenedImage {
  stream: Readable | AsyncIterable<Uint8Array>;
  /** Bytes in the stream (the image file size). */
  size: number;
  /** raw, qcow2, iso, … as the image service reports it. */
  diskFormat: string;
  name?: string;
  /** Smallest disk (GiB) the image needs, when the image says so. */
  minDisk?: number;
  containerFormat?: string;
  checksum?: string;
}

/**
 * Where create-from-image reads images. The composition root wires it to the image service;
 * block storage never reads image records itself.
 *
 * Contract: `open` resolves only for an image the caller's project may read and whose data is
 * uploaded (status active); otherwise it rejects with a StratusError (NotFound for an unknown
 * or invisible image, BadRequest or Conflict for one without data). The stream is read at most
 * once; whoever opened it destroys it when not reading it. `open` is called once when the API
 * validates the request (then the stream is destroyed unread) and again by the reconciler.
 */
export interface ImageSource {
  open(imageId: string, caller: Caller): Promise<OpenedImage>;
  /** Where volumes are uploaded as images; absent: os-volume_upload_image is a clear 400. */
  sink?: ImageSink;
}

/** The image source before the image service is wired in: every image request is a 400. */
export const noImageSource: ImageSource = Object.freeze({
  async open(): Promise<OpenedImage> {
    throw badRequest('Creating a volume from an image is not available: no image service is connected to block storage.');
  },
});

/** The image a volume upload (os-volume_upload_image) creates. */
export interface VolumeImageMeta {
  name: string;
  diskFormat: string;
  containerFormat: string;
  visibility: 'private' | 'shared' | 'community' | 'public';
  protected: boolean;
  /** GiB: the volume's size. */
  minDisk: number;
}

/**
 * Where os-volume_upload_image writes. `create` makes the image record (queued, owned by the
 * caller's project) and returns its id; `upload` puts the bytes into it and resolves once the
 * image is active (an image already active: nothing to do); `discard` removes an image whose
 * upload failed (gone already: fine).
 */
export interface ImageSink {
  create(caller: Caller, meta: VolumeImageMeta): Promise<{ id: string }>;
  upload(caller: Caller, imageId: string, data: AsyncIterable<Uint8Array>, size: number): Promise<void>;
  discard(caller: Caller, imageId: string): Promise<void>;
}
