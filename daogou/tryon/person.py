"""A shopper's photo → one front-facing person: 33 pose landmarks, a person mask, the face box.

Why mediapipe: it is the one pip package that ships pose, person segmentation and face detection offline
(Apache-2.0), ~40 ms a photo on one core. Its graphs are not thread-safe, so each process keeps one of each
behind a lock. A photo we cannot use is refused with the reason (no person, two people, a back view, too small)
instead of producing a garment pasted on the wrong thing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from daogou.errors import ModelUnavailable
from daogou.tryon.refusals import PhotoRefused

#: mediapipe pose landmark numbers used here (the person's own left/right).
NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR, MOUTH_LEFT, MOUTH_RIGHT = 0, 2, 5, 7, 8, 9, 10
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_ELBOW, RIGHT_ELBOW, LEFT_WRIST, RIGHT_WRIST = 11, 12, 13, 14, 15, 16
LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE, LEFT_ANKLE, RIGHT_ANKLE = 23, 24, 25, 26, 27, 28
LEFT_HEEL, RIGHT_HEEL, LEFT_FOOT, RIGHT_FOOT = 29, 30, 31, 32
#: A landmark counts as seen above this visibility.
VISIBLE = 0.5
#: Shoulders closer than this share of the photo's width: the person is too small to dress.
MIN_SHOULDER_SHARE = 0.08


@dataclass
class Person:
    """One person in a photo: landmarks in pixels (33, 2), their visibility (33,), mask (H, W) in 0–1, face box."""

    points: np.ndarray
    visibility: np.ndarray
    mask: np.ndarray
    face: tuple[int, int, int, int] | None  # x0, y0, x1, y1

    def seen(self, *index: int) -> bool:
        return bool(all(self.visibility[i] >= VISIBLE for i in index))

    def point(self, index: int) -> np.ndarray:
        return self.points[index].astype(np.float64)

    @property
    def shoulder_width(self) -> float:
        return float(np.linalg.norm(self.points[LEFT_SHOULDER] - self.points[RIGHT_SHOULDER]))


class PersonFinder:
    """Pose, person mask and face count for a photo; mediapipe loads on first use, once per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pose = None
        self._faces = None

    def _load(self) -> None:
        try:
            import mediapipe as mp
        except ImportError as exc:  # the optional extra is missing
            raise ModelUnavailable('try-on needs the optional extra: pip install -e ".[tryon]" (mediapipe)') from exc
        self._pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True, min_detection_confidence=0.5)
        self._faces = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.6)

    def landmarks(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int, int, int]]] | None:
        """(points, visibility, mask, face boxes) of the most prominent person, or None when there is nobody."""
        h, w = rgb.shape[:2]
        with self._lock:
            if self._pose is None:
                self._load()
            pose = self._pose.process(np.ascontiguousarray(rgb))  # type: ignore[union-attr]
            faces = self._faces.process(np.ascontiguousarray(rgb))  # type: ignore[union-attr]
        boxes = []
        for detection in faces.detections or []:
            box = detection.location_data.relative_bounding_box
            boxes.append((int(box.xmin * w), int(box.ymin * h), int((box.xmin + box.width) * w), int((box.ymin + box.height) * h)))
        if pose.pose_landmarks is None:
            return None
        marks = pose.pose_landmarks.landmark
        points = np.array([[m.x * w, m.y * h] for m in marks], dtype=np.float32)
        visibility = np.array([m.visibility for m in marks], dtype=np.float32)
        mask = pose.segmentation_mask if pose.segmentation_mask is not None else np.zeros((h, w), np.float32)
        return points, visibility, mask.astype(np.float32), boxes

    def find(self, rgb: np.ndarray, need_front: bool = True) -> Person:
        """The one person to dress; PhotoRefused (no_person, two_people, back_view, too_small) otherwise."""
        found = self.landmarks(rgb)
        if found is None:
            raise PhotoRefused("no_person", "no person found in the photo: use a photo of one person, facing the camera, upper body visible")
        points, visibility, mask, faces = found
        if len(faces) > 1:
            raise PhotoRefused("two_people", f"{len(faces)} faces in the photo: use a photo of one person")
        if not (visibility[LEFT_SHOULDER] >= VISIBLE and visibility[RIGHT_SHOULDER] >= VISIBLE):
            raise PhotoRefused("no_shoulders", "both shoulders must be visible")
        width = rgb.shape[1]
        span = float(np.linalg.norm(points[LEFT_SHOULDER] - points[RIGHT_SHOULDER]))
        if span < MIN_SHOULDER_SHARE * width:
            raise PhotoRefused("too_small", "the person is too small in the photo: come closer or crop the photo")
        if need_front:
            # facing the camera, the person's left shoulder is on the photo's right; a back view mirrors that
            if points[LEFT_SHOULDER, 0] <= points[RIGHT_SHOULDER, 0] or not faces:
                raise PhotoRefused("back_view", "the person seems to face away from the camera: use a front view")
        face = _face_box(points, visibility, faces)
        return Person(points=points, visibility=visibility, mask=mask, face=face)


def _face_box(points: np.ndarray, visibility: np.ndarray, faces: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int] | None:
    """The detected face box, grown down to the chin (face detectors stop at the mouth)."""
    if not faces:
        return None
    x0, y0, x1, y1 = faces[0]
    grow = int(0.15 * (y1 - y0))
    return (x0, y0, x1, y1 + grow)
