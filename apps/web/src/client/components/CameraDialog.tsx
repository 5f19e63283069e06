import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n-context.js';

/**
 * The camera in the page (getUserMedia), in a modal <dialog>: the live picture, a shutter and a cancel.
 * The stream is stopped whenever the dialog closes, so the camera light goes off with it.
 */
export function CameraDialog({ onShot, onClose }: { onShot: (file: File) => void; onClose: (failed: boolean) => void }) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const [live, setLive] = useState(false);

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open && typeof el.showModal === 'function') el.showModal();
    let stream: MediaStream | undefined;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false })
      .then(async (s) => {
        stream = s;
        if (cancelled || !video.current) return s.getTracks().forEach((track) => track.stop());
        video.current.srcObject = s;
        await video.current.play().catch(() => undefined);
        setLive(true);
      })
      .catch(() => {
        if (!cancelled) onClose(true);
      });
    return () => {
      cancelled = true;
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, [onClose]);

  const shoot = () => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const canvas = document.createElement('canvas');
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    canvas.getContext('2d')?.drawImage(v, 0, 0);
    canvas.toBlob(
      (blob) => {
        if (blob) onShot(new File([blob], `camera-${Date.now()}.jpg`, { type: 'image/jpeg' }));
      },
      'image/jpeg',
      0.92,
    );
  };

  return (
    <dialog ref={dialog} className="camera" aria-labelledby="camera-heading" onCancel={() => onClose(false)} data-testid="camera">
      <h2 id="camera-heading">{t.camera.title}</h2>
      <video ref={video} className="camera__video" playsInline muted aria-label={t.camera.title} />
      {!live && <p className="muted">{t.camera.starting}</p>}
      <div className="camera__actions">
        <button type="button" className="btn btn--primary btn--large" onClick={shoot} disabled={!live} data-testid="camera-shoot">
          {t.camera.capture}
        </button>
        <button type="button" className="btn btn--ghost" onClick={() => onClose(false)}>
          {t.camera.cancel}
        </button>
      </div>
    </dialog>
  );
}
