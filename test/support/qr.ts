import jsQR from 'jsqr';
import { PNG } from 'pngjs';

/**
 * Reads what a QR code image says (a PNG data URL, as the step-up page shows it), the way a
 * phone's camera would, so a test follows the QR code itself and not a link printed beside it:
 * pngjs decodes the image, jsQR reads the code.
 */
export function readQrDataUrl(dataUrl: string): string {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  const code = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  if (!code) throw new Error('no QR code could be read from the image');
  return code.data;
}
