import { useCallback, useEffect, useRef, useState, type ChangeEvent, type DragEvent } from 'react';
import { useI18n } from '../i18n-context.js';
import { CameraDialog } from './CameraDialog.js';
import { CameraIcon, ImageIcon, UploadIcon } from './icons.js';

export interface ImagePickerProps {
  onPick: (file: File) => void;
  disabled?: boolean;
  compact?: boolean;
}

/** First file of a drop or paste, preferring images (a drag from a web page can carry text too). */
export function firstFile(list: FileList | DataTransferItemList | null | undefined): File | undefined {
  if (!list) return undefined;
  const files: File[] = [];
  for (let i = 0; i < list.length; i += 1) {
    const item = list[i];
    if (!item) continue;
    if (item instanceof File) files.push(item);
    else if (item.kind === 'file') {
      const f = item.getAsFile();
      if (f) files.push(f);
    }
  }
  return files.find((f) => f.type.startsWith('image/')) ?? files[0];
}

type Camera = 'yes' | 'no' | 'unknown';

/**
 * Whether this device has a camera the page may use: `unknown` where the browser will not say (no
 * mediaDevices outside a secure context), where a phone's file input may still offer its camera.
 */
function useCamera(): Camera {
  const [camera, setCamera] = useState<Camera>('unknown');
  useEffect(() => {
    const devices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
    if (!devices?.enumerateDevices || !devices.getUserMedia) return;
    let live = true;
    devices.enumerateDevices().then(
      (list) => live && setCamera(list.some((d) => d.kind === 'videoinput') ? 'yes' : 'no'),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return camera;
}

/**
 * Camera, file chooser and drag-and-drop. With a camera, "Take a photo" opens it in the page and is the
 * main button; without one it is not offered, and where the browser cannot tell, it is a plain file input
 * with `capture` (phones open their camera for it) beside "Choose a file", which leads. The inputs are visually hidden inside their labels, so the
 * labels look like buttons while keyboard and screen-reader users reach real file inputs.
 */
export function ImagePicker({ onPick, disabled = false, compact = false }: ImagePickerProps) {
  const { t } = useI18n();
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const camera = useCamera();
  const [shooting, setShooting] = useState(false);
  const [cameraFailed, setCameraFailed] = useState(false);
  const captureInput = useRef<HTMLInputElement>(null);
  const closeCamera = useCallback((failed: boolean) => {
    setShooting(false);
    if (failed) {
      setCameraFailed(true);
      // Denied or busy: the device's own picker may still reach a camera.
      captureInput.current?.click();
    }
  }, []);

  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const file = firstFile(event.target.files);
    event.target.value = ''; // choosing the same file again must fire change again
    if (file) onPick(file);
  };
  const onDragEnter = (event: DragEvent) => {
    event.preventDefault();
    depth.current += 1;
    setDragging(true);
  };
  const onDragLeave = () => {
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setDragging(false);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    depth.current = 0;
    setDragging(false);
    if (disabled) return;
    const file = firstFile(event.dataTransfer.files);
    if (file) onPick(file);
  };

  return (
    <div
      className={`dropzone${dragging ? ' dropzone--active' : ''}${compact ? ' dropzone--compact' : ''}`}
      onDragEnter={onDragEnter}
      onDragOver={(e) => e.preventDefault()}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
      data-testid="dropzone"
    >
      {!compact && (
        <span className="dropzone__icon">
          <UploadIcon />
        </span>
      )}
      <div className="picker-buttons">
        {camera === 'yes' && (
          <button type="button" className="btn btn--primary" onClick={() => setShooting(true)} disabled={disabled} data-testid="camera-open">
            <CameraIcon />
            <span>{t.picker.takePhoto}</span>
          </button>
        )}
        <label className={`btn ${camera === 'yes' ? 'btn--secondary' : 'btn--primary'}${disabled ? ' btn--disabled' : ''}`}>
          <input type="file" accept="image/*" className="visually-hidden" onChange={onChange} disabled={disabled} data-testid="file-input" />
          <ImageIcon />
          <span>{t.picker.chooseFile}</span>
        </label>
        {/* Kept in the page (hidden when a camera is known) as the fallback when getUserMedia is refused. */}
        <label className={`btn btn--secondary${disabled ? ' btn--disabled' : ''}`} hidden={camera !== 'unknown'}>
          <input ref={captureInput} type="file" accept="image/*" capture="environment" className="visually-hidden" onChange={onChange} disabled={disabled} data-testid="camera-input" />
          <CameraIcon />
          <span>{t.picker.takePhoto}</span>
        </label>
      </div>
      {cameraFailed && <p className="dropzone__hint" role="status">{t.camera.failed}</p>}
      {shooting && (
        <CameraDialog
          onClose={closeCamera}
          onShot={(file) => {
            setShooting(false);
            onPick(file);
          }}
        />
      )}
      <p className="dropzone__hint">{dragging ? t.picker.dropHere : t.picker.dropHint}</p>
      {!compact && <p className="dropzone__hint dropzone__hint--small">{t.picker.pasteHint}</p>}
    </div>
  );
}
