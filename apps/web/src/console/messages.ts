import type { ConsoleApproval, ConsoleExecutionStatus, ConsoleStepStatus } from '@petal/contracts';
import type { Lang } from '../client/lib/i18n.js';

export interface ConsoleMessages {
  title: string;
  skip: string;
  nav: { label: string; pipeline: string; models: string; classifier: string };
  languageLabel: string;
  token: { label: string; placeholder: string; save: string; clear: string; saved: string; needed: string; off: string; open: string };
  refresh: string;
  loading: string;
  empty: string;
  close: string;
  errors: { unauthorized: string; off: string; unavailable: string; network: string; other: string };
  pipeline: {
    heading: string;
    executions: string;
    none: string;
    start: string;
    starting: string;
    startHeading: string;
    startHint: string;
    started: (id: string) => string;
    dataDefault: string;
    moreParameters: string;
    columns: { id: string; status: string; started: string; duration: string; progress: string; parameters: string };
    steps: string;
    graph: string;
    stepColumns: { step: string; kind: string; status: string; time: string; message: string };
    log: string;
    showLog: string;
    hideLog: string;
    logTruncated: (bytes: string) => string;
    logEmpty: string;
    parameters: string;
    registered: (version: number, approval: string) => string;
    accuracy: string;
    inScopeFlowerRate: string;
    outOfScopeDetection: string;
    attempt: (n: number) => string;
    cachedFrom: (id: string) => string;
  };
  models: {
    heading: string;
    group: (group: string) => string;
    none: string;
    deployedNow: (version: number) => string;
    nothingDeployed: string;
    deployedBadge: string;
    columns: { version: string; approval: string; accuracy: string; macroF1: string; testSize: string; created: string; actions: string };
    approve: string;
    reject: string;
    deploy: string;
    rollback: string;
    reason: string;
    details: string;
    evaluation: string;
    noEvaluation: string;
    report: string;
    confusion: string;
    confusionHint: string;
    actual: string;
    predicted: string;
    perClass: string;
    classColumns: { label: string; precision: string; recall: string; f1: string; support: string };
    history: string;
    evaluatedOn: (n: number, mistakes: number) => string;
    commit: string;
    model: string;
  };
  execStatus: Record<ConsoleExecutionStatus, string>;
  stepStatus: Record<ConsoleStepStatus, string>;
  approval: Record<ConsoleApproval, string>;
}

const en: ConsoleMessages = {
  title: 'Petal MLOps console',
  skip: 'Skip to content',
  nav: { label: 'Console sections', pipeline: 'Pipeline', models: 'Models', classifier: 'Classifier' },
  languageLabel: 'Language',
  token: {
    label: 'Admin token',
    placeholder: 'for actions',
    save: 'Use',
    clear: 'Forget',
    saved: 'Token set for this tab',
    needed: 'Actions need the admin token.',
    off: 'Actions are turned off on this server.',
    open: 'Actions are open (local server).',
  },
  refresh: 'Refresh',
  loading: 'Loading…',
  empty: '—',
  close: 'Close',
  errors: {
    unauthorized: 'The admin token is missing or wrong.',
    off: 'Actions are turned off on this server.',
    unavailable: 'The console cannot reach the pipeline store or the model registry.',
    network: 'The server cannot be reached.',
    other: 'That did not work.',
  },
  pipeline: {
    heading: 'Pipeline',
    executions: 'Executions',
    none: 'No executions yet. Start one below.',
    start: 'Start run',
    starting: 'Starting…',
    startHeading: 'Start a run',
    startHint: 'Empty fields take their defaults. The run goes on in the background; this page follows it.',
    started: (id) => `Started ${id}`,
    dataDefault: 'the shared flowers data set',
    moreParameters: 'Training and gate parameters',
    columns: { id: 'Execution', status: 'Status', started: 'Started', duration: 'Duration', progress: 'Steps', parameters: 'Parameters' },
    steps: 'Steps',
    graph: 'Step graph',
    stepColumns: { step: 'Step', kind: 'Kind', status: 'Status', time: 'Time', message: 'Message' },
    log: 'Log',
    showLog: 'Log',
    hideLog: 'Hide log',
    logTruncated: (bytes) => `Showing the end of a ${bytes} log.`,
    logEmpty: 'The log is empty so far.',
    parameters: 'Parameters',
    registered: (version, approval) => `Registered version ${version} (${approval})`,
    accuracy: 'Test accuracy',
    inScopeFlowerRate: 'Flowers answered correctly',
    outOfScopeDetection: 'Other things caught',
    attempt: (n) => `attempt ${n}`,
    cachedFrom: (id) => `reused from ${id}`,
  },
  models: {
    heading: 'Models',
    group: (group) => `Model registry · ${group}`,
    none: 'No versions registered yet. A pipeline run registers one.',
    deployedNow: (version) => `Version ${version} is deployed`,
    nothingDeployed: 'No version is deployed yet',
    deployedBadge: 'deployed',
    columns: { version: 'Version', approval: 'Approval', accuracy: 'Accuracy', macroF1: 'Macro F1', testSize: 'Test images', created: 'Registered', actions: 'Actions' },
    approve: 'Approve',
    reject: 'Reject',
    deploy: 'Deploy',
    rollback: 'Roll back to this',
    reason: 'Reason (optional)',
    details: 'Details',
    evaluation: 'Evaluation',
    noEvaluation: 'The evaluation of this version cannot be read.',
    report: 'Open the evaluation report',
    confusion: 'Confusion matrix',
    confusionHint: 'Rows: actual class; columns: predicted class.',
    actual: 'actual',
    predicted: 'predicted',
    perClass: 'Per class',
    classColumns: { label: 'Class', precision: 'Precision', recall: 'Recall', f1: 'F1', support: 'Images' },
    history: 'History',
    evaluatedOn: (n, mistakes) => `${n} held-out images, ${mistakes} mistaken`,
    commit: 'Commit',
    model: 'Model',
  },
  execStatus: { running: 'Running', succeeded: 'Succeeded', rejected: 'Rejected', failed: 'Failed', interrupted: 'Interrupted' },
  stepStatus: { queued: 'Queued', running: 'Running', succeeded: 'Succeeded', failed: 'Failed', skipped: 'Skipped', cached: 'Cached', stopped: 'Stopped' },
  approval: { PendingManualApproval: 'Pending approval', Approved: 'Approved', Rejected: 'Rejected' },
};

const ko: ConsoleMessages = {
  title: 'Petal MLOps 콘솔',
  skip: '본문으로 건너뛰기',
  nav: { label: '콘솔 메뉴', pipeline: '파이프라인', models: '모델', classifier: '분류기' },
  languageLabel: '언어',
  token: {
    label: '관리자 토큰',
    placeholder: '작업용',
    save: '사용',
    clear: '지우기',
    saved: '이 탭에서 토큰 사용 중',
    needed: '작업하려면 관리자 토큰이 필요합니다.',
    off: '이 서버에서는 작업이 꺼져 있습니다.',
    open: '작업이 열려 있습니다(로컬 서버).',
  },
  refresh: '새로 고침',
  loading: '불러오는 중…',
  empty: '—',
  close: '닫기',
  errors: {
    unauthorized: '관리자 토큰이 없거나 틀렸습니다.',
    off: '이 서버에서는 작업이 꺼져 있습니다.',
    unavailable: '콘솔이 파이프라인 저장소나 모델 레지스트리에 연결할 수 없습니다.',
    network: '서버에 연결할 수 없습니다.',
    other: '작업을 하지 못했습니다.',
  },
  pipeline: {
    heading: '파이프라인',
    executions: '실행 목록',
    none: '아직 실행이 없습니다. 아래에서 시작하세요.',
    start: '실행 시작',
    starting: '시작하는 중…',
    startHeading: '새 실행',
    startHint: '빈 칸은 기본값을 씁니다. 실행은 백그라운드에서 계속되고, 이 페이지가 진행을 보여 줍니다.',
    started: (id) => `${id} 시작됨`,
    dataDefault: '공유 꽃 데이터 세트',
    moreParameters: '학습 및 품질 기준 파라미터',
    columns: { id: '실행', status: '상태', started: '시작', duration: '소요 시간', progress: '단계', parameters: '파라미터' },
    steps: '단계',
    graph: '단계 그래프',
    stepColumns: { step: '단계', kind: '종류', status: '상태', time: '시간', message: '메시지' },
    log: '로그',
    showLog: '로그',
    hideLog: '로그 닫기',
    logTruncated: (bytes) => `${bytes} 로그의 끝부분입니다.`,
    logEmpty: '아직 로그가 없습니다.',
    parameters: '파라미터',
    registered: (version, approval) => `버전 ${version} 등록됨(${approval})`,
    accuracy: '테스트 정확도',
    inScopeFlowerRate: '꽃을 바르게 답한 비율',
    outOfScopeDetection: '다른 사물을 가려낸 비율',
    attempt: (n) => `${n}번째 시도`,
    cachedFrom: (id) => `${id}의 결과 재사용`,
  },
  models: {
    heading: '모델',
    group: (group) => `모델 레지스트리 · ${group}`,
    none: '등록된 버전이 없습니다. 파이프라인을 실행하면 등록됩니다.',
    deployedNow: (version) => `버전 ${version} 배포됨`,
    nothingDeployed: '배포된 버전이 없습니다',
    deployedBadge: '배포됨',
    columns: { version: '버전', approval: '승인', accuracy: '정확도', macroF1: '매크로 F1', testSize: '테스트 이미지', created: '등록', actions: '작업' },
    approve: '승인',
    reject: '거부',
    deploy: '배포',
    rollback: '이 버전으로 롤백',
    reason: '사유(선택)',
    details: '자세히',
    evaluation: '평가',
    noEvaluation: '이 버전의 평가를 읽을 수 없습니다.',
    report: '평가 보고서 열기',
    confusion: '혼동 행렬',
    confusionHint: '행: 실제 클래스, 열: 예측 클래스.',
    actual: '실제',
    predicted: '예측',
    perClass: '클래스별',
    classColumns: { label: '클래스', precision: '정밀도', recall: '재현율', f1: 'F1', support: '이미지' },
    history: '기록',
    evaluatedOn: (n, mistakes) => `테스트 이미지 ${n}장 중 ${mistakes}장 오답`,
    commit: '커밋',
    model: '모델',
  },
  execStatus: { running: '실행 중', succeeded: '성공', rejected: '거부됨', failed: '실패', interrupted: '중단됨' },
  stepStatus: { queued: '대기', running: '실행 중', succeeded: '성공', failed: '실패', skipped: '건너뜀', cached: '캐시', stopped: '중지됨' },
  approval: { PendingManualApproval: '승인 대기', Approved: '승인됨', Rejected: '거부됨' },
};

export const CONSOLE_MESSAGES: Record<Lang, ConsoleMessages> = { en, ko };
