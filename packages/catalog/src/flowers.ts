import type { Flower } from './types.js';

// The label ids are the reference design's (0–15); they are part of the model contract and must not be
// renumbered. Names and descriptions are Petal's own writing.
export const FLOWERS: readonly Flower[] = [
  {
    no: 0,
    key: 'astilbe',
    name: { en: 'Astilbe', ko: '아스틸베' },
    description: {
      en: 'A shade-loving perennial whose tiny flowers crowd into feathery plumes of pink, red or white above fern-like leaves.',
      ko: '그늘을 좋아하는 여러해살이풀로, 양치식물 같은 잎 위로 분홍·빨강·흰색의 작은 꽃들이 깃털 모양 꽃차례를 이룹니다.',
    },
  },
  {
    no: 1,
    key: 'bellflower',
    name: { en: 'Bellflower', ko: '초롱꽃' },
    description: {
      en: 'Campanula: nodding or upturned bell-shaped blossoms, most often violet-blue, on slender summer stems.',
      ko: '캄파눌라 속의 꽃으로, 가느다란 줄기에 보랏빛이 도는 종 모양의 꽃이 여름 내내 매달리거나 위를 향해 핍니다.',
    },
  },
  {
    no: 2,
    key: 'black_eyed_susan',
    name: { en: 'Black-eyed Susan', ko: '루드베키아' },
    description: {
      en: 'Rudbeckia: golden-yellow petals around a raised, dark brown centre; a hardy prairie flower loved by pollinators.',
      ko: '루드베키아 속의 꽃으로, 도드라진 짙은 갈색 중심부를 황금빛 꽃잎이 둘러쌉니다. 튼튼하고 벌과 나비가 즐겨 찾습니다.',
    },
  },
  {
    no: 3,
    key: 'calendula',
    name: { en: 'Calendula', ko: '금잔화' },
    description: {
      en: 'Pot marigold: cheerful orange or yellow daisy-like flowers with sticky, aromatic leaves, long used in salves.',
      ko: '주황색이나 노란색의 데이지 닮은 꽃과 끈적하고 향긋한 잎을 지녔으며, 예로부터 연고 재료로 쓰였습니다.',
    },
  },
  {
    no: 4,
    key: 'california_poppy',
    name: { en: 'California poppy', ko: '캘리포니아 양귀비' },
    description: {
      en: 'Silky, cup-shaped orange petals that close at night and on cloudy days, over blue-grey feathery foliage.',
      ko: '비단 같은 주황색 컵 모양 꽃잎이 밤이나 흐린 날에는 오므라들며, 청회색의 가늘게 갈라진 잎을 가졌습니다.',
    },
  },
  {
    no: 5,
    key: 'carnation',
    name: { en: 'Carnation', ko: '카네이션' },
    description: {
      en: 'Dianthus with ruffled, clove-scented double blooms in many colours; a classic cut flower.',
      ko: '주름진 겹꽃잎에서 정향 같은 향이 나는 패랭이꽃 속의 꽃으로, 다양한 색이 있으며 대표적인 절화입니다.',
    },
  },
  {
    no: 6,
    key: 'common_daisy',
    name: { en: 'Common daisy', ko: '데이지' },
    description: {
      en: 'Bellis perennis: white rays, sometimes pink-tipped, around a yellow disc; it closes at dusk.',
      ko: '노란 중심부를 흰 꽃잎(때로 끝이 분홍빛)이 둘러싼 작은 꽃으로, 해가 지면 꽃잎을 닫습니다.',
    },
  },
  {
    no: 7,
    key: 'coreopsis',
    name: { en: 'Coreopsis', ko: '큰금계국' },
    description: {
      en: 'Tickseed: bright yellow, often toothed petals on wiry stems, flowering for months in full sun.',
      ko: '가는 줄기 끝에 끝이 톱니 모양인 밝은 노란 꽃잎이 달리며, 햇볕 아래에서 몇 달 동안 꽃을 피웁니다.',
    },
  },
  {
    no: 8,
    key: 'daffodil',
    name: { en: 'Daffodil', ko: '수선화' },
    description: {
      en: 'Narcissus: a trumpet-shaped corona framed by six petals, one of the first bulbs to bloom in spring.',
      ko: '여섯 장의 꽃잎이 나팔 모양의 부관을 감싸는 구근 식물로, 봄에 가장 먼저 피는 꽃 가운데 하나입니다.',
    },
  },
  {
    no: 9,
    key: 'dandelion',
    name: { en: 'Dandelion', ko: '민들레' },
    description: {
      en: 'Taraxacum: a flat yellow head of many strap-shaped florets that turns into a round, wind-blown seed clock.',
      ko: '수많은 혀 모양 낱꽃이 모인 납작한 노란 꽃으로, 지고 나면 바람에 날리는 둥근 솜털 씨앗 뭉치가 됩니다.',
    },
  },
  {
    no: 10,
    key: 'iris',
    name: { en: 'Iris', ko: '붓꽃' },
    description: {
      en: 'Three upright petals and three drooping falls, often veined or bearded, on sword-shaped leaves.',
      ko: '곧게 선 꽃잎 세 장과 아래로 늘어진 꽃잎 세 장이 특징이며, 잎은 칼처럼 길고 곧습니다.',
    },
  },
  {
    no: 11,
    key: 'magnolia',
    name: { en: 'Magnolia', ko: '목련' },
    description: {
      en: 'A tree that opens large, waxy, goblet-shaped white or pink flowers on bare branches in early spring.',
      ko: '이른 봄 잎이 나기 전 가지에 크고 매끈한 흰색 또는 분홍색의 잔 모양 꽃을 피우는 나무입니다.',
    },
  },
  {
    no: 12,
    key: 'rose',
    name: { en: 'Rose', ko: '장미' },
    description: {
      en: 'Layered, often fragrant petals on thorny stems, bred into thousands of varieties and colours.',
      ko: '가시 돋친 줄기에 여러 겹의 향기로운 꽃잎이 피며, 수천 가지 품종과 색으로 개량되었습니다.',
    },
  },
  {
    no: 13,
    key: 'sunflower',
    name: { en: 'Sunflower', ko: '해바라기' },
    description: {
      en: 'Helianthus: a tall stem carrying a huge head of yellow rays around a seed-packed brown centre.',
      ko: '키 큰 줄기 끝에 씨앗이 빽빽한 갈색 중심부와 노란 꽃잎으로 이루어진 커다란 꽃을 피웁니다.',
    },
  },
  {
    no: 14,
    key: 'tulip',
    name: { en: 'Tulip', ko: '튤립' },
    description: {
      en: 'A spring bulb with a single upright cup of smooth petals in almost every colour but true blue.',
      ko: '봄에 피는 구근 식물로, 매끈한 꽃잎이 곧게 선 컵 모양을 이루며 파란색을 뺀 거의 모든 색이 있습니다.',
    },
  },
  {
    no: 15,
    key: 'water_lily',
    name: { en: 'Water lily', ko: '수련' },
    description: {
      en: 'Nymphaea: star-like flowers that float on still water among round, notched lily pads.',
      ko: '잔잔한 물 위에 둥글고 한쪽이 갈라진 잎과 함께 떠서 피는 별 모양의 꽃입니다.',
    },
  },
];
