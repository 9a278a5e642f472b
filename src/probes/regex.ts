import {z} from 'zod'

/** A regular expression as a drill writes it (JavaScript syntax), refused at validation when it does not compile. */
export const regex = (what: string) =>
  z.string().superRefine((source, ctx) => {
    try {
      new RegExp(source)
    } catch (error) {
      ctx.addIssue({code: 'custom', message: `${what} is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`})
    }
  })

/** A list of site names (client-side failover order). */
export const siteOrder = z.array(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, {error: 'a site name is lower-case letters, digits and -'})).min(1, {error: 'name at least one site'})
