import type { Lang } from '@petal/catalog';
import type { ErrorKind } from './api-errors.js';

export interface Messages {
  appName: string;
  title: string;
  tagline: string;
  skip: string;
  offline: string;
  nav: { classify: string; status: string; label: string };
  languageLabel: string;
  picker: {
    heading: string;
    takePhoto: string;
    chooseFile: string;
    dropHint: string;
    dropHere: string;
    pasteHint: string;
  };
  known: {
    heading: (n: number) => string;
    hint: string;
    tryIt: (name: string) => string;
    credit: string;
  };
  camera: { title: string; capture: string; cancel: string; failed: string; starting: string };
  preview: { heading: string; alt: (name: string) => string; clear: string; notPreviewable: string; resized: (from: string, to: string) => string };
  classify: { action: string; busy: string; again: string };
  result: {
    heading: string;
    placeholder: string;
    confidence: string;
    candidates: string;
    notSureTitle: string;
    notSureHeading: string;
    notSureBody: (name: string) => string;
    unknownTitle: string;
    unknownHeading: string;
    unknownBody: (n: number | undefined) => string;
    yourPhoto: string;
    reference: (name: string) => string;
    otherCandidates: string;
    couldBe: string;
    tips: string;
    model: (name: string, version: string) => string;
    elapsed: (ms: number) => string;
  };
  errors: Record<ErrorKind, { title: string; hint: string }>;
  errorRetryIn: (seconds: number) => string;
  retryIn: (seconds: number) => string;
  details: string;
  recent: { heading: string; empty: string; clear: string; thumbAlt: (name: string) => string; notSure: string };
  status: {
    heading: string;
    services: string;
    refresh: string;
    refreshing: string;
    web: string;
    was: string;
    endpoint: string;
    model: string;
    states: Record<'up' | 'degraded' | 'down' | 'unknown', string>;
    ready: string;
    notReady: string;
    latency: (ms: number) => string;
    modelName: string;
    modelVersion: string;
    modelAccuracy: string;
    modelLabels: string;
    modelClasses: string;
    modelUnknown: string;
    checkedAt: (time: string) => string;
    loadFailed: string;
  };
  footer: string;
}

const en: Messages = {
  appName: 'Petal',
  title: 'Which flower is this?',
  tagline: 'Take or choose a photo and find out.',
  skip: 'Skip to content',
  offline: 'You are offline. Petal needs the network to identify a photo; it works again once you are back online.',
  nav: { classify: 'Identify', status: 'System status', label: 'Sections' },
  languageLabel: 'Language',
  picker: {
    heading: 'Choose a photo',
    takePhoto: 'Take a photo',
    chooseFile: 'Choose a file',
    dropHint: 'or drag a photo here',
    dropHere: 'Drop the photo to use it',
    pasteHint: 'You can also paste an image (Ctrl+V / ⌘V).',
  },
  known: {
    heading: (n) => `Petal knows ${n} ${n === 1 ? 'flower' : 'flowers'}`,
    hint: 'No photo at hand? Pick one of these to try it.',
    tryIt: (name) => `Try with the sample picture of ${name}`,
    credit: 'Sample pictures are illustrations drawn for Petal.',
  },
  camera: {
    title: 'Take a photo',
    capture: 'Take the photo',
    cancel: 'Cancel',
    failed: 'The camera could not be opened. Choose a file instead.',
    starting: 'Starting the camera…',
  },
  preview: {
    heading: 'Your photo',
    alt: (name) => `The chosen photo: ${name}`,
    clear: 'Remove photo',
    notPreviewable: 'This file cannot be previewed.',
    resized: (from, to) => `Resized for upload: ${from} → ${to}`,
  },
  classify: { action: 'Identify flower', busy: 'Identifying…', again: 'Try again' },
  result: {
    heading: 'Result',
    placeholder: 'Choose a photo, then press “Identify flower”. The answer appears here.',
    confidence: 'Confidence',
    candidates: 'Top candidates',
    notSureTitle: 'Not sure',
    notSureHeading: 'Not sure which flower this is',
    notSureBody: (name) => `It might be ${name}, but the model is not confident.`,
    unknownTitle: 'Not a flower Petal knows',
    unknownHeading: 'This does not look like a flower Petal knows',
    unknownBody: (n) => (n ? `It is not one of the ${n} flowers Petal knows.` : 'It is not one of the flowers Petal knows.'),
    yourPhoto: 'Your photo',
    reference: (name) => `What ${name} looks like`,
    otherCandidates: 'Other candidates',
    couldBe: 'It could be',
    tips: 'Try a closer, well-lit photo with one flower in the middle.',
    model: (name, version) => `Model ${name} v${version}`,
    elapsed: (ms) => `${Math.round(ms)} ms`,
  },
  errors: {
    too_large: { title: 'The photo is too large', hint: 'Choose a photo under 6 MB.' },
    not_image: { title: 'That file is not an image', hint: 'Petal can only identify photos. Choose a JPEG, PNG or WebP photo.' },
    unreadable: { title: 'The image could not be read', hint: 'The file may be damaged or too big in pixels. Try another photo.' },
    missing_file: { title: 'No photo was sent', hint: 'Choose a photo and try again.' },
    rate_limited: { title: 'Too many photos at once; wait a moment.', hint: '' },
    empty: { title: 'This file is empty', hint: 'It has no picture in it. Choose another photo.' },
    busy: { title: 'Petal is busy right now.', hint: '' },
    timeout: { title: 'That took too long', hint: 'The service did not answer in time. Please try again.' },
    unavailable: { title: 'The service is unavailable', hint: 'It may be restarting. Please try again shortly.' },
    network: { title: 'No connection', hint: 'Petal needs the network to identify a photo. Check your connection and try again.' },
    bad_response: { title: 'Unexpected answer', hint: 'The service answered in a way this page does not understand. Please try again.' },
    unknown: { title: 'Something went wrong', hint: 'Please try again.' },
  },
  errorRetryIn: (s) => `Try again in ${s} s.`,
  retryIn: (s) => `Try again (${s})`,
  details: 'Details',
  recent: {
    heading: 'Recent in this session',
    empty: 'Photos you identify appear here until you close the tab.',
    clear: 'Clear history',
    thumbAlt: (name) => `Earlier photo identified as ${name}`,
    notSure: 'not sure',
  },
  status: {
    heading: 'System status',
    services: 'Services',
    refresh: 'Refresh',
    refreshing: 'Checking…',
    web: 'Web',
    was: 'API (WAS)',
    endpoint: 'Model endpoint',
    model: 'Loaded model',
    states: { up: 'Up', degraded: 'Degraded', down: 'Down', unknown: 'Unknown' },
    ready: 'ready',
    notReady: 'not ready',
    latency: (ms) => `${ms} ms`,
    modelName: 'Name',
    modelVersion: 'Version',
    modelAccuracy: 'Test accuracy',
    modelLabels: 'Classes',
    modelClasses: 'Flowers it knows',
    modelUnknown: 'No model information available right now.',
    checkedAt: (t) => `Checked at ${t}`,
    loadFailed: 'The status could not be loaded. The web server may be unreachable.',
  },
  footer: 'Photos are sent to Petal only to identify them; they are not stored.',
};

const ko: Messages = {
  appName: 'Petal',
  title: '이 꽃은 무엇일까요?',
  tagline: '사진을 찍거나 골라서 알아보세요.',
  skip: '본문으로 건너뛰기',
  offline: '오프라인 상태입니다. 사진을 알아보려면 네트워크가 필요하며, 다시 연결되면 사용할 수 있습니다.',
  nav: { classify: '꽃 알아보기', status: '시스템 상태', label: '메뉴' },
  languageLabel: '언어',
  picker: {
    heading: '사진 선택',
    takePhoto: '사진 찍기',
    chooseFile: '파일 선택',
    dropHint: '또는 사진을 여기로 끌어다 놓으세요',
    dropHere: '여기에 놓으면 이 사진을 사용합니다',
    pasteHint: '이미지를 붙여넣을 수도 있습니다 (Ctrl+V / ⌘V).',
  },
  known: {
    heading: (n) => `Petal이 아는 꽃 ${n}종`,
    hint: '사진이 없나요? 아래 그림 중 하나를 눌러 바로 해 보세요.',
    tryIt: (name) => `${name} 예시 그림으로 해 보기`,
    credit: '예시 그림은 Petal을 위해 그린 일러스트입니다.',
  },
  camera: {
    title: '사진 찍기',
    capture: '촬영',
    cancel: '취소',
    failed: '카메라를 열 수 없습니다. 대신 파일을 선택해 주세요.',
    starting: '카메라를 켜는 중…',
  },
  preview: {
    heading: '선택한 사진',
    alt: (name) => `선택한 사진: ${name}`,
    clear: '사진 지우기',
    notPreviewable: '이 파일은 미리 볼 수 없습니다.',
    resized: (from, to) => `업로드용으로 줄임: ${from} → ${to}`,
  },
  classify: { action: '꽃 이름 알아보기', busy: '알아보는 중…', again: '다시 시도' },
  result: {
    heading: '결과',
    placeholder: '사진을 고른 뒤 ‘꽃 이름 알아보기’를 누르면 여기에 결과가 나타납니다.',
    confidence: '확신도',
    candidates: '상위 후보',
    notSureTitle: '잘 모르겠어요',
    notSureHeading: '어떤 꽃인지 확실하지 않습니다',
    notSureBody: (name) => `${name}일 수도 있지만 모델이 확신하지 못합니다.`,
    unknownTitle: 'Petal이 모르는 대상',
    unknownHeading: 'Petal이 아는 꽃이 아닌 것 같습니다',
    unknownBody: (n) => (n ? `Petal이 아는 꽃 ${n}종 가운데 하나가 아닙니다.` : 'Petal이 아는 꽃 가운데 하나가 아닙니다.'),
    yourPhoto: '내 사진',
    reference: (name) => `${name}의 모습`,
    otherCandidates: '다른 후보',
    couldBe: '가능성 있는 꽃',
    tips: '꽃 한 송이가 가운데에 오도록, 밝은 곳에서 가까이 찍어 보세요.',
    model: (name, version) => `모델 ${name} v${version}`,
    elapsed: (ms) => `${Math.round(ms)}ms`,
  },
  errors: {
    too_large: { title: '사진이 너무 큽니다', hint: '6MB보다 작은 사진을 선택해 주세요.' },
    not_image: { title: '이미지 파일이 아닙니다', hint: 'Petal은 사진만 알아볼 수 있습니다. JPEG, PNG 또는 WebP 사진을 선택해 주세요.' },
    unreadable: { title: '이미지를 읽을 수 없습니다', hint: '파일이 손상되었거나 픽셀 수가 너무 많을 수 있습니다. 다른 사진으로 해 보세요.' },
    missing_file: { title: '사진이 전송되지 않았습니다', hint: '사진을 선택한 뒤 다시 시도해 주세요.' },
    rate_limited: { title: '요청이 너무 많습니다. 잠시 기다려 주세요.', hint: '' },
    empty: { title: '빈 파일입니다', hint: '그림이 들어 있지 않습니다. 다른 사진을 선택해 주세요.' },
    busy: { title: '지금은 Petal이 바쁩니다.', hint: '' },
    timeout: { title: '응답이 너무 늦습니다', hint: '서비스가 제시간에 응답하지 않았습니다. 다시 시도해 주세요.' },
    unavailable: { title: '서비스를 사용할 수 없습니다', hint: '다시 시작하는 중일 수 있습니다. 잠시 뒤 다시 시도해 주세요.' },
    network: { title: '네트워크에 연결되어 있지 않습니다', hint: '사진을 알아보려면 네트워크가 필요합니다. 인터넷 연결을 확인한 뒤 다시 시도해 주세요.' },
    bad_response: { title: '예상하지 못한 응답', hint: '서비스의 응답을 이해할 수 없습니다. 다시 시도해 주세요.' },
    unknown: { title: '문제가 발생했습니다', hint: '다시 시도해 주세요.' },
  },
  errorRetryIn: (s) => `${s}초 뒤에 다시 시도해 주세요.`,
  retryIn: (s) => `다시 시도 (${s})`,
  details: '자세히',
  recent: {
    heading: '이번 세션의 기록',
    empty: '알아본 사진은 이 탭을 닫을 때까지 여기에 표시됩니다.',
    clear: '기록 지우기',
    thumbAlt: (name) => `${name}(으)로 판별된 이전 사진`,
    notSure: '확신 낮음',
  },
  status: {
    heading: '시스템 상태',
    services: '서비스',
    refresh: '새로 고침',
    refreshing: '확인 중…',
    web: '웹',
    was: 'API (WAS)',
    endpoint: '모델 엔드포인트',
    model: '사용 중인 모델',
    states: { up: '정상', degraded: '일부 장애', down: '중단', unknown: '알 수 없음' },
    ready: '준비됨',
    notReady: '준비 안 됨',
    latency: (ms) => `${ms}ms`,
    modelName: '이름',
    modelVersion: '버전',
    modelAccuracy: '테스트 정확도',
    modelLabels: '분류 수',
    modelClasses: '알아보는 꽃',
    modelUnknown: '지금은 모델 정보를 가져올 수 없습니다.',
    checkedAt: (t) => `${t}에 확인`,
    loadFailed: '상태를 불러오지 못했습니다. 웹 서버에 연결할 수 없는 것 같습니다.',
  },
  footer: '사진은 꽃을 알아보는 데에만 쓰이며 저장되지 않습니다.',
};

export const MESSAGES: Record<Lang, Messages> = { en, ko };
