import { FLOWERS, flowerByNo, localize, negotiateLang, type Lang } from '@petal/catalog';
import { WAS_ERRORS } from '@petal/contracts';
import { createErrors } from '@petal/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorRef, flowerParams, flowerResponse, flowersResponse, langQuery } from '../schemas.js';

const fail = createErrors(WAS_ERRORS);

type LangRequest = FastifyRequest<{ Querystring: { lang?: Lang } }>;
const pickLang = (request: LangRequest): Lang => request.query.lang ?? negotiateLang(request.headers['accept-language']);

export async function flowerRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { lang?: Lang } }>(
    '/flowers',
    {
      schema: {
        summary: 'All flowers the catalog knows, localized',
        tags: ['catalog'],
        querystring: langQuery,
        response: { 200: flowersResponse, 400: errorRef },
      },
    },
    async (request, reply) => {
      const lang = pickLang(request);
      reply.header('content-language', lang).header('vary', 'Accept-Language');
      return { lang, flowers: FLOWERS.map((f) => localize(f, lang)) };
    },
  );

  app.get<{ Querystring: { lang?: Lang }; Params: { no: number } }>(
    '/flowers/:no',
    {
      schema: {
        summary: 'One flower by class id',
        tags: ['catalog'],
        params: flowerParams,
        querystring: langQuery,
        response: { 200: flowerResponse, 400: errorRef, 404: errorRef },
      },
    },
    async (request, reply) => {
      const lang = pickLang(request);
      const flower = flowerByNo(request.params.no);
      if (!flower) throw fail('FLOWER_NOT_FOUND', `no flower with id ${request.params.no}`);
      reply.header('content-language', lang).header('vary', 'Accept-Language');
      return { lang, flower: localize(flower, lang) };
    },
  );
}
